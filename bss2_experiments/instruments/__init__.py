"""Lab instruments for energy and latency runs, over pyvisa (SCPI).

* :mod:`.scpi`: the SCPI base (``*IDN?`` model check, timeouts, one retry, clear errors);
* :mod:`.power_analyser`: DC power analyser / SMU (V, current limit, V/I/P, datalog);
* :mod:`.oscilloscope`: marker-to-spike delay and waveforms;
* :mod:`.board_monitors`: the board's own power monitors through the backend;
* :mod:`.simulation`: the bundled pyvisa-sim definitions (``sim/*.yaml``) and the
  injection of modelled values into them;
* :mod:`.errors`: the exception hierarchy.
"""
from .errors import (InstrumentCommandError, InstrumentConnectionError, InstrumentError, InstrumentTimeoutError,
                     WrongInstrumentError)
from .oscilloscope import Oscilloscope
from .power_analyser import PowerAnalyser
from .traces import PowerTrace, Waveform

__all__ = ["InstrumentCommandError", "InstrumentConnectionError", "InstrumentError", "InstrumentTimeoutError",
           "Oscilloscope", "PowerAnalyser", "PowerTrace", "Waveform", "WrongInstrumentError"]
