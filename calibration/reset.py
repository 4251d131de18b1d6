"""Reset potential (``reset_v_reset``): the CADC read while the neuron is refractory.

calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_potentials.py``)
reads the reset potential with the CADC while neurons fire with a long refractory time.
Here the neuron fires regularly (leak potential above its calibrated threshold), and the
reads taken inside each refractory period, once the reset has settled, are averaged; the
spike times say which samples these are.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration, Stimulus

from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration
from .measure import Probe, cadc_trace, quiet, refractory_us, time_since_spike

DRIVE_ABOVE_LSB = 40.0
"""Leak potential this far above the threshold target keeps the neuron firing."""
REFRACTORY_TICKS, REFRACTORY_CLOCK = 128, 1
"""16 us refractory time (slow clock)."""
SETTLE_US, RELEASE_MARGIN_US = 2.0, 0.5
DURATION_US, TRIALS = 100.0, 2


class ResetPotentialCalibration(FieldCalibration):
    """Mean CADC read (LSB) during the settled part of refractory periods."""

    quantity = "reset"
    field = "reset_v_reset"
    target_name = "v_reset"
    tolerance = (3.0, 0.0)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        config = quiet(state.config)
        n = config.neurons
        n.threshold_enable[:] = True
        n.leak_v_leak[:] = state.line.dac_for(state.targets.per_neuron("v_thresh") + DRIVE_ABOVE_LSB)
        n.refractory_period_refractory_time[:] = REFRACTORY_TICKS
        n.refractory_period_input_clock[:] = REFRACTORY_CLOCK
        return config

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        trace = cadc_trace(probe, config, Stimulus.empty(TRIALS), DURATION_US)
        since = time_since_spike(trace)
        inside = (since >= SETTLE_US) & (since <= refractory_us(config) - RELEASE_MARGIN_US) & trace.valid
        with np.errstate(invalid="ignore"):
            return (trace.samples * inside).sum(axis=(0, 1)) / inside.sum(axis=(0, 1))
