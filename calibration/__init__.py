"""calix-style per-neuron calibration over the chip interface.

``calibrate(chip, targets)`` turns targets in CADC LSB and hardware microseconds into
CapMem DAC values for all 512 neurons, measuring only through ``chip.run``;
``load_or_calibrate`` caches the result per (chip identity, targets, suite version).
"""
from .cache import load_or_calibrate
from .errors import CalibrationError, CalibrationFileError, ChipMismatchError, TargetError
from .neuron import calibrate
from .result import CalibrationResult
from .targets import CalibrationTargets

__all__ = ["CalibrationTargets", "CalibrationResult", "calibrate", "load_or_calibrate", "CalibrationError",
           "CalibrationFileError", "ChipMismatchError", "TargetError"]
