"""Spike threshold (``threshold_v_threshold``).

As calix measures it (Electronic Visions, github electronicvisions/calix,
``spiking/neuron_threshold.py``, ``ThresholdCalibCADC``): the neuron is driven to fire
regularly and the highest CADC read of its membrane approximates the threshold. The drive
here is a leak potential placed above the target; a long membrane time constant makes
the membrane approach the threshold slowly, so the last sample before each spike lies
close to it, and many spikes with drifting sample phases are taken. A neuron that does not fire again after its first spike (which starts from the
leak potential) has its threshold above what the drive reaches and reports +inf.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration, Stimulus

from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration
from .measure import Probe, cadc_trace, first_spike_us, quiet, refractory_us

DRIVE_ABOVE_LSB = 60.0
"""Leak potential this far above the threshold target drives regular spiking."""
RESET_DAC = 0
"""The lowest reset potential: below every threshold, whatever the reset cell's own
fixed-pattern noise (some cells sit far from the rest)."""
LEAK_BIAS_DAC = 150
"""A slow membrane (about twice the default time constant): gentle approach to threshold."""
REFRACTORY_TICKS, REFRACTORY_CLOCK = 50, 0
"""2 us: the reset settles before the membrane is released."""
SATURATED_RATE = 0.8
"""A neuron firing at this fraction of its refractory-limited rate or faster has its
threshold below the reset potential: it reports -inf, far below any target."""
DURATION_US, TRIALS = 150.0, 2
SETTLE_US = 5.0
"""Samples this soon after the first spike are left out: that spike starts from the leak
potential, above the threshold, and the reset needs a moment to pull the membrane down."""


class ThresholdCalibration(FieldCalibration):
    """Maximum CADC read (LSB) during regular spiking, per neuron."""

    quantity = "threshold"
    field = "threshold_v_threshold"
    target_name = "v_thresh"
    tolerance = (4.0, 0.0)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        target = state.targets.per_neuron("v_thresh")
        config = quiet(state.config)
        n = config.neurons
        n.threshold_enable[:] = True
        n.leak_enable_multiplication[:] = False
        n.leak_enable_division[:] = False
        n.leak_i_bias[:] = LEAK_BIAS_DAC
        n.leak_v_leak[:] = state.line.dac_for(target + DRIVE_ABOVE_LSB)
        n.reset_v_reset[:] = RESET_DAC
        n.refractory_period_refractory_time[:] = REFRACTORY_TICKS
        n.refractory_period_input_clock[:] = REFRACTORY_CLOCK
        return config

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        trace = cadc_trace(probe, config, Stimulus.empty(TRIALS), DURATION_US)
        first = first_spike_us(trace)
        settled = trace.valid & (trace.time_us[None, :, None] > first[:, None, :] + SETTLE_US)
        highest = np.where(settled, trace.samples, -np.inf).max(axis=(0, 1))
        max_rate = TRIALS * DURATION_US / refractory_us(config)
        counts = trace.result.spikes.counts().sum(axis=0)
        regular = counts - np.isfinite(first).sum(axis=0)       # spikes after each trial's first
        return np.where(regular == 0, np.inf, np.where(counts >= SATURATED_RATE * max_rate, -np.inf, highest))
