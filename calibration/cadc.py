"""CADC channel offsets: every channel reads the same reference voltage alike.

As calix does (Electronic Visions, github electronicvisions/calix, ``common/cadc.py``):
all channels read a shared CapMem reference voltage, and each channel's digital offset
(-128..127, adds to the read) is set by linear prediction so the read equals the target.
The target is calix' CADC mapping, CapMem 70..550 <-> CADC 20..220
(``cadc_calib_target.cpp``), evaluated at the reference DAC value, so calibrated reads
are comparable across chips.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import N_NEURONS, ChipConfiguration

from .algorithms import LinearPrediction
from .base import Calibration, CalibrationState
from .measure import Probe, mean_cadc, quiet

REFERENCE_DAC = 310


def target_read(dac: float) -> float:
    """CADC read (LSB) calix' dynamic range assigns to a CapMem DAC value."""
    return 20.0 + (dac - 70.0) * (220.0 - 20.0) / (550.0 - 70.0)


class CADCOffsetCalibration(Calibration):
    """Per-channel digital offset; the read rises 1 LSB per offset LSB."""

    quantity = "cadc_offset"
    tolerance = (2.0, 0.0)

    def __init__(self):
        super().__init__(LinearPrediction(probe=0, slope=1.0, low=-128, high=127))

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        config = quiet(state.config)
        config.readout.cadc_reference_dac = REFERENCE_DAC
        return config

    def target(self, state: CalibrationState) -> np.ndarray:
        return np.full(N_NEURONS, target_read(REFERENCE_DAC))

    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        config.readout.cadc_channel_offset = np.asarray(parameters, dtype=np.int32)

    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        return config.readout.cadc_channel_offset.copy()

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        return mean_cadc(probe, config, duration_us=10.0)


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """Set ``state.config.readout.cadc_channel_offset``; record reads and success."""
    calibration = CADCOffsetCalibration()
    target = calibration.target(state)
    found = calibration.run(probe, state, target)
    state.config.readout.cadc_channel_offset = found.values.astype(np.int32)
    state.achieved["cadc_reference_read"] = found.results
    state.success["cadc_offset"] = found.success & calibration.within_tolerance(found.results, target)
