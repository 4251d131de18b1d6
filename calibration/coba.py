"""COBA synaptic inputs: reversal potentials (``*_input_v_rev_coba``) and conductances.

In conductance-based mode an input event opens a conductance ``g(t)`` that drives the
membrane towards the reversal potential ``E``: ``C dV/dt = g_L (V_rest - V) + g(t) (E - V)``.
calix (Electronic Visions, github electronicvisions/calix, COBA synaptic-input
calibration) defines its target ``e_coba_reversal`` as the potential where the PSP
amplitude has decreased to zero, in CADC units, possibly beyond the CADC's range. It is
measured that way here too: pynn_brainscales' defaults (``e_rev_E`` 300, ``e_rev_I`` 30
CADC LSB) lie outside what the 8-bit CADC can read.

* the kick is a burst through excitatory (trial 0) and inhibitory (trial 1) rows, with the
  membrane at two resting reads :data:`LEVELS_LSB` (its deflection ``V - V_rest`` then is
  exactly proportional to ``E - V_rest`` at every moment: with ``u = (V - V_rest) / (E -
  V_rest)``, ``C du/dt = -g_L u + g(t) (1 - u)`` does not depend on ``V_rest``);
* the mean deflection ``D`` over :data:`WINDOW_TAU_SYN` synaptic time constants at both
  levels gives ``E = V1 + D1 (V2 - V1) / (D1 - D2)`` (CADC LSB; linear extrapolation to
  zero amplitude, valid beyond 255 because it only extrapolates a straight line);
* ``*_input_v_rev_coba`` is bisected per neuron until ``E`` meets the target.

The conductance per weight LSB (``g / C``, 1 / hardware us) that the PyNN layer needs to
convert weights in uS is characterised afterwards: one event per row through a few rows,
on a slow membrane resting at :data:`STRENGTH_REST_LSB`, and a least-squares fit of the
integrated membrane equation
``V(t) - V0 = -1/tau_m * int (V - V0) dt + k * int exp(-t/tau_syn) (E - V) dt``, linear in
``1/tau_m`` and ``k`` (tau_syn and E are calibrated by then) and exact for any PSP size,
so the PSP can be large against the CADC's rounding.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration

from .algorithms import NoisyBinarySearch
from .base import Calibration, CalibrationState
from .kick import Kick, baseline, window
from .measure import Probe, burst, drive_both_signs, quiet

LEVELS_LSB = (50.0, 170.0)
"""Resting reads at which the deflections are measured (inside the CADC's reliable range,
with room for the deflections, up to ~70 LSB)."""
ROWS, REPEATS, WEIGHT = 8, 4, 63
"""Each kick: ROWS rows per sign, REPEATS events of weight WEIGHT each."""
TRIAL_REPEATS = 3
"""Trials per sign and leak dither level: the extrapolation magnifies temporal noise."""
WINDOW_TAU_SYN = 3.0
"""Deflections are averaged from the kick over this many (target) synaptic time constants."""
TOLERANCE_LSB, TOLERANCE_OF_DRIVE = 3.0, 0.03
"""A reversal potential succeeds within TOLERANCE_LSB plus this fraction of its driving
force at rest, |E - v_rest| (a 3 % error of the PSP size)."""
SIGNS = ("exc", "inh")
FIELDS = ("excitatory", "inhibitory")
STRENGTH_REST_LSB = 120.0
STRENGTH_ROWS, STRENGTH_WEIGHT, STRENGTH_REPEATS = 4, 63, 3
"""One event through each of STRENGTH_ROWS rows of this weight (a ~12 LSB PSP), trials
per leak dither level."""
LEAK_BIAS_DAC = 300
"""With leak division: a membrane slower than tau_syn (the same as the CUBA strength step)."""


def enable_coba(config: ChipConfiguration) -> None:
    """Both synaptic inputs conductance-based (``quiet`` switched them off)."""
    for name in FIELDS:
        getattr(config.neurons, f"{name}_input_enable_coba_mode")[:] = True


class ReversalPotentialCalibration(Calibration):
    """Parameter shape (2, 512): excitatory then inhibitory ``v_rev_coba``; results are the
    extrapolated reversal potentials in CADC LSB."""

    quantity = "e_rev"

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        self.levels_dac = [state.line.dac_for(level) for level in LEVELS_LSB]
        self.stop_us = WINDOW_TAU_SYN * float(np.max(np.stack([state.targets.per_neuron(f"tau_syn_{s}_us")
                                                               for s in SIGNS])))
        config = quiet(state.config)
        n = config.neurons
        n.leak_enable_multiplication[:] = True
        n.leak_enable_division[:] = False
        n.leak_i_bias[:] = CAPMEM_MAX_DAC
        exc, inh = drive_both_signs(config, ROWS, WEIGHT)
        enable_coba(config)
        self.kick = Kick([burst(exc, 0.0, REPEATS), burst(inh, 0.0, REPEATS)], repeats=TRIAL_REPEATS)
        return config

    def target(self, state: CalibrationState) -> np.ndarray:
        return np.stack([state.targets.per_neuron(f"e_rev_{s}") for s in SIGNS])

    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        for i, name in enumerate(FIELDS):
            getattr(config.neurons, f"{name}_input_v_rev_coba")[:] = parameters[i]

    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        return np.stack([getattr(config.neurons, f"{name}_input_v_rev_coba") for name in FIELDS])

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        rests, deflections = [], []
        for leak_dac in self.levels_dac:
            cfg = config.copy()
            cfg.neurons.leak_v_leak[:] = leak_dac
            trace = self.kick.record(probe, cfg, self.kick.t0_us + self.stop_us + 0.5)
            rest = baseline(trace, self.kick.t0_us)
            inside = window(trace, self.kick.t0_us, self.kick.t0_us + self.stop_us)
            with np.errstate(invalid="ignore"):
                deflections.append(((trace.samples - rest[:, None, :]) * inside).sum(axis=1) / inside.sum(axis=1))
            rests.append(rest)
        (v1, v2), (d1, d2) = rests, deflections
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.abs(d1 - d2) > 1e-6, v1 + d1 * (v2 - v1) / (d1 - d2), np.nan)


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """With COBA targets: search both reversal DACs, switch COBA on in the calibrated
    state, and characterise the conductance per weight LSB. Without: nothing."""
    if not state.targets.coba:
        return
    calibration = ReversalPotentialCalibration()
    target = calibration.target(state)
    found = calibration.run(probe, state, target)
    drive = np.abs(target - state.targets.per_neuron("v_rest"))
    ok = found.success & (np.abs(found.results - target) <= TOLERANCE_LSB + TOLERANCE_OF_DRIVE * drive)
    for i, (sign, name) in enumerate(zip(SIGNS, FIELDS)):
        state.store(f"e_rev_{sign}", f"{name}_input_v_rev_coba", found.values[i], found.results[i], ok[i])
        state.set_dac(f"{name}_input_enable_coba_mode", np.ones_like(found.values[i], dtype=bool))
    characterise_conductance(probe, state)


def characterise_conductance(probe: Probe, state: CalibrationState) -> None:
    """Store ``state.achieved["coba_strength_exc"|"_inh"]``: g / C per weight LSB at PSP
    onset (1 / hardware us), positive for both signs."""
    tau_syn = np.stack([state.achieved[f"tau_syn_{s}"] for s in SIGNS])
    e_rev = np.stack([state.achieved[f"e_rev_{s}"] for s in SIGNS])
    config = quiet(state.config)
    n = config.neurons
    n.leak_enable_multiplication[:] = False
    n.leak_enable_division[:] = True
    n.leak_i_bias[:] = LEAK_BIAS_DAC
    n.leak_v_leak[:] = state.line.dac_for(STRENGTH_REST_LSB)
    exc, inh = drive_both_signs(config, STRENGTH_ROWS, STRENGTH_WEIGHT)
    enable_coba(config)
    kick = Kick([burst(exc, 0.0), burst(inh, 0.0)], repeats=STRENGTH_REPEATS)
    stop = WINDOW_TAU_SYN * tau_syn
    trace = kick.record(probe, config, kick.t0_us + float(stop.max()) + 0.5)
    rest = baseline(trace, kick.t0_us)
    for i, sign in enumerate(SIGNS):
        inside = window(trace, kick.t0_us, kick.t0_us + stop[i])[i]
        k = integral_fit(trace.time_us - kick.t0_us, trace.samples[i], rest[i], tau_syn[i], e_rev[i], inside)
        state.achieved[f"coba_strength_{sign}"] = k / (STRENGTH_ROWS * STRENGTH_WEIGHT)


def integral_fit(t_us: np.ndarray, v: np.ndarray, rest: np.ndarray, tau_syn_us: np.ndarray,
                 e_rev: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Conductance jump ``k`` (g / C at onset, 1 / us) of a COBA PSP per neuron.

    ``t_us`` (K,) since the event, ``v`` (K, N) CADC LSB, ``rest`` / ``tau_syn_us`` /
    ``e_rev`` (N,), ``use`` (K, N) samples from the event on. Fits
    ``v - rest = a * int (v - rest) dt + k * int exp(-t/tau_syn) (e_rev - v) dt`` by least
    squares; integrals by the trapezoid rule from the event (where ``v = rest``).
    """
    after = t_us >= 0
    t = np.concatenate([[0.0], t_us[after]])
    y = np.concatenate([rest[None, :], v[after]]) - rest[None, :]
    w = np.concatenate([np.ones((1, v.shape[1]), bool), use[after]]).astype(float)
    drive = np.exp(-t[:, None] / tau_syn_us[None, :]) * (e_rev[None, :] - (y + rest[None, :]))
    dt = np.diff(t)[:, None]

    def integral(f: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros((1, f.shape[1])), np.cumsum(0.5 * dt * (f[1:] + f[:-1]), axis=0)])

    x1, x2 = integral(y), integral(drive)
    s11, s12, s22 = (w * x1 * x1).sum(0), (w * x1 * x2).sum(0), (w * x2 * x2).sum(0)
    s1y, s2y = (w * x1 * y).sum(0), (w * x2 * y).sum(0)
    det = s11 * s22 - s12 * s12
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.abs(det) > 0, (s11 * s2y - s12 * s1y) / det, np.nan)
