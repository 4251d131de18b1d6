"""Exceptions of :mod:`lui_board`; every message says what went wrong and how to fix it."""
from __future__ import annotations


class LuiError(Exception):
    """Base class of all Lu.i errors."""


class LuiPortError(LuiError):
    """The serial port cannot be opened or went away (unplugged probe, wrong path)."""


class LuiTimeoutError(LuiError):
    """The probe did not answer in time."""


class LuiProtocolError(LuiError):
    """A frame could not be encoded or interpreted, or the probe rejected a command."""


class LuiToolError(LuiError):
    """An external tool (ngspice, gcc) or optional library is missing or failed."""
