"""Spike threshold (``threshold_v_threshold``).

calix (Electronic Visions, github electronicvisions/calix, ``spiking/neuron_threshold.py``,
``ThresholdCalibCADC``) drives the neuron to fire regularly and takes the highest CADC read
of its membrane. That read lies below the threshold by about half the membrane's rise
between two samples (~0.8 LSB here), an offset that noise does not remove on a noise-free
chip. Here the reads of the last :data:`WINDOW_US` before every spike are instead
regressed on the time to that spike (a quadratic per neuron, least squares over all
inter-spike intervals) and extrapolated to the spike itself: the rising membrane sweeps
through many CADC codes at drifting sample phases, so the estimate is free of the 8-bit
quantisation's bias. The drive is a leak potential placed above the target; a long
membrane time constant keeps the approach gentle. A neuron that does not fire again after
its first spike (which starts from the leak potential) has its threshold above what the
drive reaches and reports +inf; where too few reads precede spikes, the highest read is used.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration, Stimulus

from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration
from .measure import Probe, cadc_trace, first_spike_us, quiet, refractory_us, time_since_spike, time_to_spike

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
WINDOW_US = 8.0
"""Reads this close before a spike enter the extrapolation (the membrane rises ~20 LSB in it)."""
SPIKE_DEAD_US = 0.2
"""Reads closer before a spike than this may already show the reset (the comparator and
the reset act within ~0.1 us); they are left out."""
RELEASE_US = 1.0
"""Reads this soon after the end of a refractory period are left out (the membrane leaves
the reset potential there, not on its way to the threshold)."""
MIN_READS = 8
"""Fewer reads in the window than this: the highest read is taken instead."""


class ThresholdCalibration(FieldCalibration):
    """Membrane read (LSB) extrapolated to the spike onset during regular spiking, per neuron."""

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
        before = time_to_spike(trace)
        released = time_since_spike(trace) >= refractory_us(config) + RELEASE_US
        near = settled & released & (before >= SPIKE_DEAD_US) & (before <= WINDOW_US)
        onset = extrapolate_to_spike(before, trace.samples, near)
        estimate = np.where((near.sum(axis=(0, 1)) >= MIN_READS) & np.isfinite(onset), onset, highest)
        max_rate = TRIALS * DURATION_US / refractory_us(config)
        counts = trace.result.spikes.counts().sum(axis=0)
        regular = counts - np.isfinite(first).sum(axis=0)       # spikes after each trial's first
        return np.where(regular == 0, np.inf, np.where(counts >= SATURATED_RATE * max_rate, -np.inf, estimate))


def extrapolate_to_spike(before_us: np.ndarray, reads: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per neuron, the read a quadratic in the time before the next spike (``before_us``, us)
    fitted to ``reads`` (CADC LSB) over the samples ``use`` predicts at the spike; all
    arrays (trials, K, 512), result (512,) (nan where the fit is undetermined)."""
    u = np.where(use, before_us, 0.0)
    powers = np.stack([np.ones_like(u), u, u * u]) * use            # (3, trials, K, 512)
    normal = np.einsum("itkn,jtkn->nij", powers, powers)
    rhs = np.einsum("itkn,tkn->ni", powers, np.where(use, reads, 0.0))
    solvable = np.abs(np.linalg.det(normal)) > 1e-9
    normal[~solvable] = np.eye(3)
    return np.where(solvable, np.linalg.solve(normal, rhs[..., None])[:, 0, 0], np.nan)
