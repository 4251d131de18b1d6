"""Exceptions of the calibration layer. Every message says what was wrong and how to fix it."""
from __future__ import annotations


class CalibrationError(Exception):
    """Base class of every error raised by :mod:`calibration`."""


class TargetError(CalibrationError, ValueError):
    """A calibration target is outside its allowed range or has the wrong shape."""


class CalibrationFileError(CalibrationError, ValueError):
    """A saved calibration cannot be used: truncated, corrupt, newer format, unknown keys."""


class ChipMismatchError(CalibrationFileError):
    """A saved calibration belongs to another chip than the one it is loaded for."""


class MeasurementError(CalibrationError, RuntimeError):
    """The chip answered in a way a measurement cannot interpret (e.g. no CADC samples)."""
