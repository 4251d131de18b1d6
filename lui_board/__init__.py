"""Lu.i teaching board: schematic as code, circuit model, serial accessory, classroom demos."""
from .client import LuiLink, Recording
from .errors import LuiError, LuiPortError, LuiProtocolError, LuiTimeoutError, LuiToolError
from .parameters import BoardSettings, CircuitParameters

__all__ = ["LuiLink", "Recording", "BoardSettings", "CircuitParameters", "LuiError",
           "LuiPortError", "LuiProtocolError", "LuiTimeoutError", "LuiToolError"]
