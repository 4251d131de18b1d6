"""Adaptation current of the AdEx neuron: reference potential, a, b and tau_w.

Model (Brette & Gerstner 2005, J. Neurophysiol. 94:3637; on BrainScaleS-2: Billaudelle
et al. 2022, "An accurate and flexible analog emulation of AdEx neuron dynamics in
silicon", arXiv:2209.09280)::

    C dV/dt = ... - w,    tau_w dw/dt = a (V - V_ref) - w,    w += b at every spike

calix has no adaptation calibration, so the measurements are ours, each a plain
observation of the membrane through the CADC (all 512 neurons per run):

1. ``adaptation_v_ref`` = the resting potential (AdEx couples to ``V - E_L``): with a
   strong ``a`` and a fast ``tau_w`` the membrane rests at ``(g E_L + a V_ref) / (g + a)``;
   bisected until that read equals ``v_rest``.
2. ``a`` (``adaptation_i_bias_a``), target ``a / C`` in 1 / us: with a fast ``tau_w`` the
   adaptation is an extra conductance at steady state, so a constant current ``I``
   deflects the membrane by ``I / g`` without and ``I / (g + a)`` with adaptation:
   ``a / C = (dV_off / dV_on - 1) / tau_m``.
3. ``tau_w``, then ``b`` (``adaptation_i_bias_tau``, ``adaptation_i_bias_b``), with
   ``a = 0``: three bursts make every neuron fire a few spikes; once the synaptic
   input has died (5 tau_syn after the last spike) the membrane relaxes as
   ``A exp(-t / tau_w) + B exp(-t / tau_m)`` with its calibrated tau_m known
   (:func:`~calibration.fitting.fit_decay_beside`). The fit gives tau_w and the
   amplitude ``A`` at the first burst ``t0``; for spikes at ``t_i``,
   ``A = (b / C) tau_w tau_m / (tau_w - tau_m) sum_i exp((t_i - t0) / tau_w)`` (the tail
   of the CUBA-like kernel of a current decaying with tau_w), which gives ``b / C`` in
   CADC LSB per us, the unit of the synaptic strength.

Both searches use :class:`~calibration.algorithms.PowerLawSearch` (the bias currents set
a, b and 1 / tau_w in proportion); every CADC mean is taken at :data:`LEAK_DITHER_DAC`
leak offsets, as the kick measurements do, so 8-bit rounding averages out.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration, RowMode, Stimulus

from .algorithms import BinarySearch, PowerLawSearch
from .base import CalibrationState, FieldCalibration
from .fitting import fit_decay_beside
from .kick import LEAK_DITHER_DAC, baseline
from .measure import Probe, burst, cadc_trace, drive_rows, quiet

STRONG_A_DAC = CAPMEM_MAX_DAC
FAST_TAU_DAC = CAPMEM_MAX_DAC
"""Reference and a measurements: adaptation about 10x stronger than the leak (at tau_m =
10 us) and ~3 us fast, so it settles within a run."""
SETTLE_US, SETTLE_TAU_M, AVERAGE_US, TRIALS = 30.0, 8.0, 20.0, 2
"""Steady-state reads: wait SETTLE_US (v_ref, with the fast strong adaptation) or SETTLE_TAU_M
membrane time constants (a), then average AVERAGE_US."""
DEFLECTION_LSB = 100.0
"""a measurement: constant current giving about this deflection without adaptation."""
KICK_ROWS, KICK_REPEATS, KICK_WEIGHT, KICK_T0_US = 8, 4, 63, 10.0
KICK_BURSTS, KICK_SPACING_US = 3, 5.0
"""b / tau_w measurement: bursts that make every calibrated neuron fire a few spikes
(deflections of tens of CADC LSB, well above the 8-bit rounding)."""
TAIL_AFTER = 5.0
"""The tail fit starts this many tau_syn (plus 1 us) after the last spike."""
TAIL_TAU_W = 2.5
"""... and lasts this many tau_w targets."""
B_PROBE_DAC = 100
"""b bias while tau_w is searched (and where the b target is 0): ~0.8 CADC LSB per us."""


def _mean_read(probe: Probe, config: ChipConfiguration, settle_us: float = SETTLE_US) -> np.ndarray:
    """Steady-state CADC read per neuron (LSB), averaged over the leak dither levels."""
    reads = []
    for offset in LEAK_DITHER_DAC:
        cfg = config.copy()
        cfg.neurons.leak_v_leak[:] = np.clip(config.neurons.leak_v_leak + offset, 0, CAPMEM_MAX_DAC)
        trace = cadc_trace(probe, cfg, Stimulus.empty(TRIALS), settle_us + AVERAGE_US)
        reads.append(trace.samples[:, trace.time_us >= settle_us, :].mean(axis=(0, 1)))
    return np.mean(reads, axis=0)


def _adapting(state: CalibrationState) -> ChipConfiguration:
    """A quiet calibrated neuron with the adaptation switched on (a = b = 0, fast tau_w)."""
    config = quiet(state.config)
    n = config.neurons
    n.adaptation_enable[:] = True
    n.adaptation_invert_a[:] = False
    n.adaptation_invert_b[:] = False
    n.adaptation_i_bias_a[:] = 0
    n.adaptation_i_bias_b[:] = 0
    n.adaptation_i_bias_tau[:] = FAST_TAU_DAC
    return config


class ReferencePotentialCalibration(FieldCalibration):
    """``adaptation_v_ref``: the resting read with strong adaptation equals ``v_rest``."""

    quantity = "adaptation_v_ref"
    field = "adaptation_v_ref"
    target_name = "v_rest"
    tolerance = (3.0, 0.0)

    def __init__(self):
        super().__init__(BinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        config = _adapting(state)
        config.neurons.adaptation_i_bias_a[:] = STRONG_A_DAC
        return config

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        return _mean_read(probe, config)


class _Coupling:
    """Measures a / C (1 / us) at given ``adaptation_i_bias_a`` values."""

    def __init__(self, probe: Probe, state: CalibrationState):
        self.probe = probe
        self.tau_m = np.asarray(state.achieved["tau_m"], dtype=float)
        self.config = _adapting(state)
        slope = np.asarray(state.achieved["i_offset_per_dac"], dtype=float)
        current = np.clip(np.rint(DEFLECTION_LSB / (slope * self.tau_m)), 1, CAPMEM_MAX_DAC)
        self.config.neurons.constant_current_i_offset[:] = current.astype(np.int32)
        self.settle_us = SETTLE_TAU_M * float(self.tau_m.max())
        self.off = self._deflection(np.zeros(self.tau_m.size, np.int64))

    def _deflection(self, a_dac: np.ndarray) -> np.ndarray:
        cfg = self.config.copy()
        cfg.neurons.adaptation_i_bias_a[:] = a_dac
        rest = _mean_read(self.probe, cfg, self.settle_us)
        cfg.neurons.constant_current_enable[:] = True
        return _mean_read(self.probe, cfg, self.settle_us) - rest

    def __call__(self, a_dac: np.ndarray) -> np.ndarray:
        return (self.off / self._deflection(a_dac) - 1.0) / self.tau_m


class _SpikeTriggered:
    """Measures (1 / tau_w, b / C) at given ``(adaptation_i_bias_tau, adaptation_i_bias_b)``."""

    def __init__(self, probe: Probe, state: CalibrationState, tau_w_target: np.ndarray):
        self.probe = probe
        self.tau_m = np.asarray(state.achieved["tau_m"], dtype=float)
        tau_syn = np.maximum(state.achieved["tau_syn_exc"], state.achieved["tau_syn_inh"])
        self.settle = TAIL_AFTER * tau_syn + 1.0
        self.length = TAIL_TAU_W * tau_w_target
        self.config = _adapting(state)
        n = self.config.neurons
        n.threshold_enable[:] = True
        n.excitatory_input_enable[:] = True
        labels = drive_rows(self.config, RowMode.EXCITATORY, range(KICK_ROWS), KICK_WEIGHT)
        bursts = [burst(labels, KICK_T0_US + k * KICK_SPACING_US, KICK_REPEATS) for k in range(KICK_BURSTS)]
        self.stimulus = Stimulus.single(np.concatenate([b[0] for b in bursts]), np.concatenate([b[1] for b in bursts]))
        self.duration = KICK_T0_US + float(np.max(self.settle + self.length)) + 20.0

    def __call__(self, parameters: np.ndarray) -> np.ndarray:
        traces = []
        for offset in LEAK_DITHER_DAC:
            cfg = self.config.copy()
            cfg.neurons.adaptation_i_bias_tau[:] = parameters[0]
            cfg.neurons.adaptation_i_bias_b[:] = parameters[1]
            cfg.neurons.leak_v_leak[:] = np.clip(self.config.neurons.leak_v_leak + offset, 0, CAPMEM_MAX_DAC)
            trace = cadc_trace(self.probe, cfg, self.stimulus, self.duration)
            traces.append(trace)
        first = traces[0]
        samples = np.mean([t.samples[0] for t in traces], axis=0)
        valid = np.all([t.valid[0] for t in traces], axis=0)
        rest = np.mean([baseline(t, KICK_T0_US)[0] for t in traces], axis=0)
        spikes = first.result.spikes
        last = np.full(samples.shape[1], KICK_T0_US)
        np.maximum.at(last, spikes.neuron, spikes.time_us)
        start = last + self.settle
        t = first.time_us[:, None]
        weights = valid & (t >= start[None, :]) & (t < (start + self.length)[None, :])
        fit = fit_decay_beside(first.time_us - KICK_T0_US, samples, self.tau_m, rest, weights)
        tau_w = fit.tau
        spike_sum = np.zeros(samples.shape[1])
        np.add.at(spike_sum, spikes.neuron, np.exp((spikes.time_us - KICK_T0_US) / tau_w[spikes.neuron]))
        kernel = tau_w * self.tau_m / (tau_w - self.tau_m)
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(spike_sum > 0, -fit.amplitude / (kernel * spike_sum), np.nan)
        return np.stack([1.0 / tau_w, b])


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """Calibrate v_ref, a, b and tau_w (only with adaptation targets); store DACs, achieved
    values (``tau_w`` us, ``adaptation_a`` 1 / us, ``adaptation_b`` CADC LSB per us) and the
    values at the median DACs ("before")."""
    if not state.targets.adaptation:
        return
    ReferencePotentialCalibration().calibrate(probe, state)
    state.set_dac("adaptation_enable", np.ones(state.targets.per_neuron("tau_w_us").size, bool))
    state.set_dac("adaptation_invert_a", np.zeros(state.targets.per_neuron("tau_w_us").size, bool))
    state.set_dac("adaptation_invert_b", np.zeros(state.targets.per_neuron("tau_w_us").size, bool))

    a_target = state.targets.per_neuron("adaptation_a")
    coupling = _Coupling(probe, state)
    a_dac, a_value, a_ok = _power_law(coupling, a_target)
    _store(state, "adaptation_a", "adaptation_i_bias_a", a_dac, a_value, a_ok, a_target, 0.08, coupling)

    tau_target = state.targets.per_neuron("tau_w_us")
    b_target = state.targets.per_neuron("adaptation_b")
    triggered = _SpikeTriggered(probe, state, tau_target)
    b_probe = np.full(tau_target.size, B_PROBE_DAC)
    rate = PowerLawSearch(probes=(16, 64)).search(lambda dac: triggered(np.stack([dac, b_probe]))[0], 1.0 / tau_target)
    tau_dac = rate.values
    b_dac, b_value, b_ok = _power_law(lambda dac: triggered(np.stack([tau_dac, dac]))[1], b_target, probes=(64, 256))
    dac = np.stack([tau_dac, b_dac])
    results = np.stack([1.0 / rate.results, b_value])
    ok = np.stack([rate.success, b_ok]) & np.isfinite(results)
    ok[0] &= np.abs(results[0] - tau_target) <= 0.08 * tau_target
    ok[1] &= np.abs(results[1] - b_target) <= 0.08 * b_target + 1e-9
    median = np.rint(np.median(dac, axis=1, keepdims=True)).astype(np.int64) * np.ones_like(dac)
    before = triggered(np.maximum(median, 1))
    for i, (quantity, name) in enumerate((("tau_w", "adaptation_i_bias_tau"), ("adaptation_b", "adaptation_i_bias_b"))):
        state.store(quantity, name, dac[i], results[i], ok[i])
        state.before[quantity] = 1.0 / before[0] if i == 0 else before[1]


def _power_law(measure, target: np.ndarray, probes: tuple[int, int] = (8, 32)):
    """PowerLawSearch where the target is positive; DAC 0 (value 0) where it is 0."""
    positive = target > 0
    if not positive.any():
        return np.zeros(target.size, np.int64), np.zeros(target.size), np.ones(target.size, bool)
    found = PowerLawSearch(probes=probes).search(measure, np.where(positive, target, 1.0))
    dac = np.where(positive, found.values, 0)
    value = np.where(positive, found.results, 0.0)
    return dac, value, np.where(positive, found.success, True)


def _store(state, quantity, field, dac, value, ok, target, tolerance, measure) -> None:
    ok = ok & np.isfinite(value) & (np.abs(value - target) <= tolerance * target + 1e-9)
    state.store(quantity, field, dac, value, ok)
    median = int(np.rint(np.median(dac)))
    state.before[quantity] = measure(np.full(dac.size, median, np.int64))
