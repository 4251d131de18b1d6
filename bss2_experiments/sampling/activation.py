"""Activation-function calibration of sampler neurons.

With Poisson background, a LIF sampler's probability to be in state 1 follows a logistic
function of its resting potential, ``p(z_k = 1) = 1 / (1 + exp(-(v_rest - v05_k) / alpha_k))``
(Petrovici et al., Phys. Rev. E 94, 042312 (2016); fitted per neuron as the ``sbs`` library
does, Breitwieser et al. 2020). Fixed-pattern noise makes ``v05`` and ``alpha`` differ from
neuron to neuron, so both are measured for every sampler: all samplers at once, unconnected,
at each resting potential of a sweep.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit
from tqdm import tqdm

from .network import SamplingNetwork


def logistic(v: np.ndarray, v05: float, alpha: float) -> np.ndarray:
    """``1 / (1 + exp(-(v - v05) / alpha))``."""
    return 0.5 * (1.0 + np.tanh(0.5 * (np.asarray(v, float) - v05) / alpha))


@dataclass
class ActivationFits:
    """Per-neuron logistic fits (CADC LSB) and the measured points they come from."""

    v05: np.ndarray
    """Resting potential at which a sampler is in state 1 half of the time."""
    alpha: np.ndarray
    """Width of the logistic: one unit of Boltzmann bias moves the resting potential this much."""
    v_rest: np.ndarray
    """(n_levels,) swept resting potentials."""
    p_on: np.ndarray
    """(n_levels, n) measured p(z_k = 1)."""
    rms_error: np.ndarray
    """RMS deviation of the measured points from each fit."""


def fit_activation(v_rest: np.ndarray, p_on: np.ndarray) -> ActivationFits:
    """Fit a logistic to each column of ``p_on`` (shape (n_levels, n)) over ``v_rest``."""
    v_rest = np.asarray(v_rest, float)
    p_on = np.asarray(p_on, float)
    if p_on.ndim != 2 or p_on.shape[0] != v_rest.size or v_rest.size < 3:
        raise ValueError(f"need p_on of shape (n_levels >= 3, n) matching {v_rest.size} levels, got {p_on.shape}")
    n = p_on.shape[1]
    v05, alpha, rms = np.zeros(n), np.zeros(n), np.zeros(n)
    span = float(v_rest.max() - v_rest.min())
    for k in range(n):
        p = p_on[:, k]
        guess = (float(np.interp(0.5, np.sort(p), v_rest[np.argsort(p)])), span / 10)
        (v05[k], alpha[k]), _ = curve_fit(logistic, v_rest, p, p0=guess, bounds=([-np.inf, 1e-3], [np.inf, 10 * span]))
        rms[k] = float(np.sqrt(np.mean((logistic(v_rest, v05[k], alpha[k]) - p) ** 2)))
    return ActivationFits(v05, alpha, v_rest, p_on, rms)


def calibrate_activation(network: SamplingNetwork, v_rest: np.ndarray | None = None, n_trials: int = 20,
                         duration_us: float = 500.0, progress: bool = False) -> ActivationFits:
    """Sweep the resting potential of all samplers (unconnected), measure p(z = 1), fit."""
    s = network.setup
    if v_rest is None:
        v_rest = np.linspace(s.v_thresh - 60.0, s.v_thresh + 20.0, 9)
    zero = np.zeros((network.n, network.n))
    p_on = []
    for v in tqdm(v_rest, desc="activation functions", leave=False, disable=not progress):
        samples = network.sample(zero, np.full(network.n, float(v)), n_trials, duration_us)
        p_on.append(samples.states.mean(axis=0))
    return fit_activation(v_rest, np.array(p_on))
