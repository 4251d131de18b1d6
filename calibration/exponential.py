"""Exponential term of the AdEx neuron (``exponential_v_exp``): the firing onset.

The term ``I_T exp((V - V_exp) / Delta_T)`` (Brette & Gerstner 2005) has a slope factor
``Delta_T`` that the BrainScaleS-2 circuit does not expose: it is set by the transistors
(on the emulator ~12 mV, i.e. ~4.3 CADC LSB, per neuron). ``I_T`` and ``V_exp`` act only
through ``I_T exp(-V_exp / Delta_T)``, so one knob suffices: ``exponential_i_bias`` stays
at :data:`I_BIAS_DAC` and ``exponential_v_exp`` is calibrated.

The target is the potential where, without input, the neuron starts firing: ``V_T -
Delta_T`` for AdEx with ``a = 0`` (the saddle-node where ``g (V - E_L) = I_exp(V)`` first
touches; Brette & Gerstner 2005; the rheobase current is ``g (V_T - Delta_T - E_L)``).
Matching it keeps the rheobase and the onset of the f-I curve of a PyNN
``EIF_cond_exp_isfa_ista`` whatever the chip's own Delta_T is. Measurement: every
neuron's leak is placed at the target (leak potential search), the threshold comparator
sits at its calibrated ``v_thresh`` (PyNN's ``v_spike``), adaptation off; the result is
the fraction of :data:`TRIALS` trials in which the neuron fires within :data:`WINDOW_TAU_M` membrane time
constants. Bisecting ``v_exp`` to 0.5 puts every neuron's onset at the target (close to
the bifurcation the first spike's latency grows like ``1 / sqrt(E - E_onset)``, so a long
window places the onset within ~0.05 Delta_T).
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration, Stimulus

from .algorithms import BinarySearch
from .base import CalibrationState, FieldCalibration
from .leak import LeakPotentialCalibration
from .measure import Probe, mean_cadc, quiet

I_BIAS_DAC = 200
"""Fixed strength of the term (10 nA at design): V_exp then lies well inside its range."""
WINDOW_TAU_M = 20.0
"""Observation window in membrane time constants."""
TRIALS = 2
TOLERANCE_LSB = 3.0
"""A neuron succeeds when its measured onset is within this of the target (CADC LSB)."""


def _firing(state: CalibrationState, v_exp_dac: np.ndarray | None = None) -> ChipConfiguration:
    """Calibrated neuron without input, threshold on, exponential term on, adaptation off."""
    config = quiet(state.config)
    n = config.neurons
    n.threshold_enable[:] = True
    n.exponential_enable[:] = True
    n.exponential_i_bias[:] = I_BIAS_DAC
    if v_exp_dac is not None:
        n.exponential_v_exp[:] = v_exp_dac
    return config


def _fraction_firing(probe: Probe, config: ChipConfiguration, duration_us: float) -> np.ndarray:
    """Fraction of :data:`TRIALS` trials in which each neuron fires (0..1)."""
    result = probe.run(config, Stimulus.empty(TRIALS), duration_us)
    return (result.spikes.counts() > 0).mean(axis=0)


class ExponentialOnsetCalibration(FieldCalibration):
    """Fraction of trials with a spike while resting at the onset target (0..1);
    :attr:`leak_dac` places every membrane at its target before the search."""

    quantity = "v_exp_onset"
    field = "exponential_v_exp"
    target_name = "v_exp_onset"
    inverted = True

    def __init__(self, leak_dac: np.ndarray, duration_us: float):
        super().__init__(BinarySearch())
        self.leak_dac, self.duration_us = leak_dac, duration_us

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        config = _firing(state)
        config.neurons.leak_v_leak[:] = self.leak_dac
        return config

    def target(self, state: CalibrationState) -> np.ndarray:
        return np.full(self.leak_dac.shape, 0.5)

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        return _fraction_firing(probe, config, self.duration_us)


def onset_read(probe: Probe, state: CalibrationState, v_exp_dac: np.ndarray, duration_us: float) -> np.ndarray:
    """The measured onset (CADC LSB) at ``v_exp_dac``: the leak DAC where firing starts is
    bisected, then the resting read at that DAC is taken with the exponential term off."""
    config = _firing(state, v_exp_dac)

    def fraction(leak_dac: np.ndarray) -> np.ndarray:
        cfg = config.copy()
        cfg.neurons.leak_v_leak[:] = leak_dac
        return _fraction_firing(probe, cfg, duration_us)

    leak = BinarySearch().search(fraction, np.full(v_exp_dac.shape, 0.5)).values
    rest = quiet(state.config)
    rest.neurons.leak_v_leak[:] = leak
    return mean_cadc(probe, rest, duration_us=10.0)


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """Calibrate ``exponential_v_exp`` (only with a ``v_exp_onset`` target); store the DACs,
    the switch, the fixed ``exponential_i_bias``, the measured onset and its value at the
    median DAC ("before")."""
    if state.targets.v_exp_onset is None:
        return
    onset = state.targets.per_neuron("v_exp_onset")
    duration = WINDOW_TAU_M * float(np.max(state.achieved["tau_m"]))
    leak = LeakPotentialCalibration().run(probe, state, onset).values
    calibration = ExponentialOnsetCalibration(leak, duration)
    found = calibration.run(probe, state, 0.5)
    achieved = onset_read(probe, state, found.values, duration)
    ok = found.success & (np.abs(achieved - onset) <= TOLERANCE_LSB)
    state.store("v_exp_onset", "exponential_v_exp", found.values, achieved, ok)
    state.set_dac("exponential_i_bias", np.full(onset.size, I_BIAS_DAC))
    state.set_dac("exponential_enable", np.ones(onset.size, bool))
    median = np.full(onset.size, int(np.rint(np.median(found.values))))
    state.before["v_exp_onset"] = onset_read(probe, state, median, duration)
