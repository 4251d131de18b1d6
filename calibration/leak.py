"""Leak (resting) potential (``leak_v_leak``): the mean CADC read of a quiet membrane.

calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_potentials.py``,
``LeakPotentialCalib``) bisects ``v_leak`` on the CADC read at rest; so does this module.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration

from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration
from .measure import Probe, mean_cadc, quiet


class LeakPotentialCalibration(FieldCalibration):
    """Mean resting CADC read (LSB) per neuron."""

    quantity = "leak"
    field = "leak_v_leak"
    target_name = "v_rest"
    tolerance = (3.0, 0.0)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        return quiet(state.config)

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        return mean_cadc(probe, config, duration_us=10.0)
