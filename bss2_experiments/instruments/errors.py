"""Errors of the instrument drivers. Every message names the instrument (model and VISA
address) and what the driver was doing, and says how to fix it."""
from __future__ import annotations


class InstrumentError(RuntimeError):
    """An instrument could not do what was asked. ``instrument`` and ``action`` say who
    and what (for a resumable measurement to report)."""

    def __init__(self, message: str, instrument: str = "", action: str = ""):
        super().__init__(message)
        self.instrument = instrument
        self.action = action


class WrongInstrumentError(InstrumentError):
    """``*IDN?`` named a model this driver does not support."""


class InstrumentTimeoutError(InstrumentError):
    """The instrument did not answer in time, twice (one retry)."""


class InstrumentConnectionError(InstrumentError):
    """The instrument cannot be opened or the connection was lost."""


class InstrumentCommandError(InstrumentError):
    """The instrument refused a command or reported an error (``SYST:ERR?``)."""
