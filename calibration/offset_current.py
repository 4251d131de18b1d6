"""Constant-current source: characterised, not calibrated (it has no target).

The PyNN layer turns an offset current into a DAC value of ``constant_current_i_offset``
and needs each neuron's gain for that: the dV/dt the source adds per DAC LSB, in CADC
LSB per hardware us (I / C_m, like the synaptic strength). With every other parameter
calibrated, the source is switched on at t = 0 (trials start at rest); the membrane
charges towards a new level with tau_m, and an exponential fit of the CADC trace gives
the initial slope = -amplitude / tau. The trace is averaged over the leak dither levels
of :mod:`calibration.kick` (8-bit rounding left -0.9 % in the gain on the noise-free chip).
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, Stimulus

from .base import CalibrationState
from .fitting import fit_decay
from .kick import LEAK_DITHER_DAC
from .measure import Probe, cadc_trace, quiet

SHIFT_LSB_US = 2500.0
"""Probe DAC = this / tau_m target (250 at 10 us): about 40 CADC LSB of steady-state shift
at the design gain of ~0.016 CADC LSB per us per DAC."""
TRIALS = 4


def characterise(probe: Probe, state: CalibrationState) -> None:
    """Store ``state.achieved["i_offset_per_dac"]`` (CADC LSB per us per DAC LSB)."""
    tau_m = state.targets.per_neuron("tau_m_us")
    dac = np.clip(np.rint(SHIFT_LSB_US / tau_m), 1, CAPMEM_MAX_DAC).astype(np.int32)
    config = quiet(state.config)
    config.neurons.constant_current_enable[:] = True
    config.neurons.constant_current_i_offset[:] = dac
    window_us = 4.0 * float(tau_m.max())
    traces = []
    for offset in LEAK_DITHER_DAC:
        shifted = config.copy()
        shifted.neurons.leak_v_leak[:] = np.clip(config.neurons.leak_v_leak + offset, 0, CAPMEM_MAX_DAC)
        traces.append(cadc_trace(probe, shifted, Stimulus.empty(TRIALS), window_us))
    trace = traces[0]
    samples = np.mean([t.samples.mean(axis=0) for t in traces], axis=0)
    weights = np.all([t.valid.all(axis=0) for t in traces], axis=0) & (trace.time_us[:, None] > 0.3)
    fit = fit_decay(trace.time_us, samples, weights, tau_range_us=(0.3, 1000.0))
    state.achieved["i_offset_per_dac"] = -fit.amplitude / fit.tau / dac
