"""Circuit-level model of Lu.i boards, vectorised over boards.

The equations are those of :mod:`lui_board.parameters` (derived from the public schematic,
github.com/giant-axon/lu.i-neuron-pcb; Stradmann et al. 2025, doi:10.1016/j.tine.2025.100248).
Integration uses exponential Euler: within one step every block is linear in its own state
(the piecewise-linear push/pull limits are evaluated at the start of the step), so the
step is exact for the linear parts and stable for any ``dt_s``.

Time is in seconds, voltages in volts. A spike is the rising edge of RESET (the axon output);
its time is interpolated to where the membrane crossed the threshold.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .parameters import BoardSettings, CircuitParameters

#: Default integration step in seconds (0.1 ms; the reset clamp's time constant is ~0.6 ms).
DT_S = 1e-4


def _stack(params: Sequence[CircuitParameters], name: str) -> np.ndarray:
    return np.array([getattr(p, name) for p in params], dtype=float)


class BoardArray:
    """State and parameters of ``n`` independent boards, advanced together in time.

    ``step(inputs_high)`` takes a boolean array (n, 3): which synapse inputs see a pulse
    during the step.
    """

    def __init__(self, settings: Sequence[BoardSettings], v_membrane_volt: float = 0.0) -> None:
        self.params = [CircuitParameters.from_settings(s) for s in settings]
        p = self.params
        self.n = len(p)
        self.vdd = _stack(p, "vdd_volt")
        self.v_syn_ref = _stack(p, "v_syn_ref_volt")
        g_weight = np.array([q.g_weight_siemens for q in p]).reshape(self.n, 3)
        excitatory = np.array([q.signs for q in p]).reshape(self.n, 3) > 0
        self.g_exc, self.g_inh = g_weight * excitatory, g_weight * ~excitatory
        self.c_syn, self.r_syn = _stack(p, "c_syn_farad"), _stack(p, "r_syn_ohm")
        self.g_push, self.g_pull = 1.0 / _stack(p, "r_push_ohm"), 1.0 / _stack(p, "r_pull_ohm")
        self.push_vdd, self.push_syn = _stack(p, "push_vdd_gain"), _stack(p, "push_syn_gain")
        self.pull_syn = _stack(p, "pull_syn_gain")
        self.c_mem, self.g_leak = _stack(p, "c_mem_farad"), 1.0 / _stack(p, "r_leak_ohm")
        self.i_leak = _stack(p, "v_leak_volt") * self.g_leak
        self.g_clamp = 1.0 / _stack(p, "r_clamp_ohm")
        self.th_hi = _stack(p, "v_threshold_volt")
        self.th_lo = _stack(p, "v_threshold_after_spike_volt")
        self.tau_ref = _stack(p, "r_ref_ohm") * _stack(p, "c_ref_farad")
        self.ref_end = _stack(p, "v_refractory_end_volt")
        self.ref_rearm = _stack(p, "v_refractory_rearm_volt")
        self.v_out_high = _stack(p, "v_output_high_volt")
        self.led_taps = np.array([q.v_led_taps_volt for q in p])
        self._decay_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        # state
        self.t_s = 0.0
        self.v_mem = np.full(self.n, float(v_membrane_volt))
        self.u_syn = np.zeros(self.n)              # voltage across C2 (VDD/2 - V_syn when linear)
        self.fired = np.zeros(self.n, dtype=bool)  # U3B output low (membrane above threshold)
        self.v_refr = self.vdd.copy()              # C9 charged: timer idle
        self.reset = np.zeros(self.n, dtype=bool)  # RESET high = axon output pulse

    @property
    def v_syn_volt(self) -> np.ndarray:
        """Synaptic integrator output V_syn in volts (limited to the rails)."""
        return np.minimum(np.maximum(self.v_syn_ref - self.u_syn, 0.0), self.vdd)

    @property
    def v_output_volt(self) -> np.ndarray:
        """Axon output (RESET net) in volts."""
        return self.reset * self.v_out_high

    @property
    def leds_lit(self) -> np.ndarray:
        """VU-meter state (n, 6), lowest LED first: LED k lights while V_mem > tap k."""
        return self.v_mem[:, None] > self.led_taps

    def _decays(self, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
        if dt_s not in self._decay_cache:
            self._decay_cache[dt_s] = (np.exp(-dt_s / (self.r_syn * self.c_syn)), np.exp(-dt_s / self.tau_ref))
        return self._decay_cache[dt_s]

    def step(self, dt_s: float, inputs_high: np.ndarray) -> np.ndarray:
        """Advance by ``dt_s`` seconds; return the spike times (s) of boards that fired, else NaN."""
        syn_decay, ref_decay = self._decays(dt_s)
        # synaptic integrator (exact for constant input current over the step); the summing
        # node sits at VDD/2 unless U1B's output is at a rail
        v_syn = self.v_syn_volt
        v_sum = v_syn + self.u_syn
        g_exc = (self.g_exc * inputs_high).sum(axis=1)
        g_inh = (self.g_inh * inputs_high).sum(axis=1)
        u_inf = (g_exc * (self.vdd - v_sum) - g_inh * v_sum) * self.r_syn
        self.u_syn = u_inf + (self.u_syn - u_inf) * syn_decay
        v_syn = self.v_syn_volt
        # membrane: I(V) = a - g*V, piecewise linear, regime taken at the start of the step
        v = self.v_mem
        v_push = self.push_vdd * self.vdd + self.push_syn * v_syn
        v_pull = self.pull_syn * v_syn
        push_limited = v > v_push
        pull_limited = v < v_pull
        g = self.g_leak + push_limited * self.g_push + pull_limited * self.g_pull + self.reset * self.g_clamp
        a = self.i_leak + (self.vdd - np.where(push_limited, 0.0, v_push)) * self.g_push \
            - np.where(pull_limited, 0.0, v_pull) * self.g_pull
        v_inf = a / g
        v_new = v_inf + (v - v_inf) * np.exp(-g * dt_s / self.c_mem)
        # threshold comparator with hysteresis
        threshold = np.where(self.fired, self.th_lo, self.th_hi)
        crossing = ~self.fired & (v_new > threshold)
        self.fired = v_new > threshold
        # refractory timer: C9 discharged while fired, recharged through R27 otherwise
        self.v_refr = np.where(self.fired, 0.0, self.vdd + (self.v_refr - self.vdd) * ref_decay)
        new_reset = self.v_refr < np.where(self.reset, self.ref_end, self.ref_rearm)
        onset = new_reset & ~self.reset
        spike_t = np.full(self.n, np.nan)
        if onset.any():
            frac = np.clip((threshold - v) / np.where(v_new != v, v_new - v, 1.0), 0.0, 1.0)
            spike_t[onset] = self.t_s + np.where(crossing, frac, 1.0)[onset] * dt_s
        self.reset = new_reset
        self.v_mem = v_new
        self.t_s += dt_s
        return spike_t


@dataclass
class Trace:
    """Recorded run of one or more boards; arrays are (n_steps,) or (n_steps, n_boards)."""

    t_s: np.ndarray
    v_membrane_volt: np.ndarray
    v_syn_volt: np.ndarray
    v_output_volt: np.ndarray
    leds_lit: np.ndarray          # (n_steps, n_boards, 6)
    spike_times_s: list[np.ndarray]

    def board(self, index: int) -> "Trace":
        """The trace of one board."""
        return Trace(self.t_s, self.v_membrane_volt[:, index], self.v_syn_volt[:, index],
                     self.v_output_volt[:, index], self.leds_lit[:, index],
                     [self.spike_times_s[index]])


Pulses = Sequence[tuple[float, float]]   # (t_start_s, width_s)


def pulses_to_mask(t_s: np.ndarray, pulses: Pulses) -> np.ndarray:
    """Boolean array: True where ``t_s`` lies inside one of the ``(t_start_s, width_s)`` pulses."""
    mask = np.zeros(len(t_s), dtype=bool)
    for start, width in pulses:
        mask |= (t_s >= start) & (t_s < start + width)
    return mask


def simulate(settings: BoardSettings | Sequence[BoardSettings],
             stimulus: Sequence[Pulses] | Sequence[Sequence[Pulses]],
             t_stop_s: float, dt_s: float = DT_S, v_membrane_volt: float = 0.0) -> Trace:
    """Run independent boards driven by input pulses and record their traces.

    ``stimulus[k]`` lists ``(t_start_s, width_s)`` pulses on synapse k (one board), or
    ``stimulus[b][k]`` for board b when ``settings`` is a sequence.
    """
    single = isinstance(settings, BoardSettings)
    boards = BoardArray([settings] if single else list(settings), v_membrane_volt)
    stim = [stimulus] if single else list(stimulus)
    n_steps = int(round(t_stop_s / dt_s))
    t_s = np.arange(n_steps) * dt_s
    mask = np.zeros((n_steps, boards.n, 3), dtype=bool)
    for b, channels in enumerate(stim):
        for k, pulses in enumerate(channels):
            mask[:, b, k] = pulses_to_mask(t_s, pulses)
    v_mem = np.empty((n_steps, boards.n))
    v_syn, v_out = np.empty_like(v_mem), np.empty_like(v_mem)
    leds = np.empty((n_steps, boards.n, 6), dtype=bool)
    spikes: list[list[float]] = [[] for _ in range(boards.n)]
    for i in range(n_steps):
        v_mem[i], v_syn[i], v_out[i], leds[i] = (boards.v_mem, boards.v_syn_volt,
                                                 boards.v_output_volt, boards.leds_lit)
        fired = boards.step(dt_s, mask[i])
        for b in np.flatnonzero(~np.isnan(fired)):
            spikes[b].append(float(fired[b]))
    return Trace(t_s, v_mem, v_syn, v_out, leds, [np.array(s) for s in spikes])
