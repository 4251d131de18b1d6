"""Vectorised least-squares fits of exponential shapes to traces of all neurons at once.

A trace model here is ``y = offset + amplitude * basis(t; tau)`` with one nonlinear
parameter ``tau``. For a fixed ``tau`` the best ``amplitude`` (and ``offset``, unless it
is given) follow in closed form, so ``tau`` is found by evaluating the residual on a
logarithmic grid for every neuron simultaneously (variable projection), refining on a
finer grid around each neuron's best point and interpolating the minimum with a
parabola in log(tau). Invalid samples (outside a fit window, clipped readouts) are
excluded through per-sample weights 0/1. Times in hardware microseconds; ``y`` in
whatever unit the trace has (CADC LSB here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Basis = Callable[[np.ndarray], np.ndarray]
"""``basis(tau)`` for taus of shape (G, 1, 1) or (G, 1, N) -> shape (G, K, N) or (G, K, 1)."""


@dataclass
class ExponentialFit:
    """Per-neuron fit result: ``tau`` (us), ``amplitude`` and ``offset`` (trace units),
    ``rms`` residual (trace units)."""

    tau: np.ndarray
    amplitude: np.ndarray
    offset: np.ndarray
    rms: np.ndarray


def _project(basis: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray | None):
    """Closed-form amplitude/offset for every grid point and neuron; returns (rss, amp, off)."""
    sbb = np.einsum("gkn,kn->gn", basis * basis, w) if basis.shape[2] > 1 else \
        np.einsum("gk,kn->gn", basis[..., 0] ** 2, w)
    if offset is not None:
        yo = (y - offset) * w
        sby = np.einsum("gkn,kn->gn", basis, yo) if basis.shape[2] > 1 else basis[..., 0] @ yo
        amp = sby / np.where(sbb > 0, sbb, np.inf)
        rss = np.sum(yo * (y - offset), axis=0) - amp * sby
        return rss, amp, np.broadcast_to(offset, amp.shape)
    n = w.sum(axis=0)
    sy = (y * w).sum(axis=0)
    syy = (y * y * w).sum(axis=0)
    yw = y * w
    if basis.shape[2] > 1:
        sb = np.einsum("gkn,kn->gn", basis, w)
        sby = np.einsum("gkn,kn->gn", basis, yw)
    else:
        sb = basis[..., 0] @ w
        sby = basis[..., 0] @ yw
    det = n * sbb - sb * sb
    det = np.where(np.abs(det) > 1e-12 * np.maximum(n * sbb, 1e-300), det, np.inf)
    amp = (n * sby - sb * sy) / det
    off = (sy - amp * sb) / np.maximum(n, 1)
    rss = syy - off * sy - amp * sby
    return rss, amp, off


def _grid_fit(basis: Basis, y: np.ndarray, w: np.ndarray, offset: np.ndarray | None,
              tau_min: float, tau_max: float, coarse: int = 40, fine: int = 16) -> ExponentialFit:
    """Minimise the residual over log-spaced taus per neuron (coarse, fine, parabola)."""
    n_neurons = y.shape[1]
    cols = np.arange(n_neurons)
    log_grid = np.linspace(np.log(tau_min), np.log(tau_max), coarse)
    rss, _, _ = _project(basis(np.exp(log_grid)[:, None, None]), y, w, offset)
    best = np.argmin(np.nan_to_num(rss, nan=np.inf), axis=0)
    step = log_grid[1] - log_grid[0]
    fine_log = np.exp(log_grid[best])[None, :] * np.exp(np.linspace(-step, step, fine))[:, None]
    fine_log = np.log(np.clip(fine_log, tau_min, tau_max))
    rss, _, _ = _project(basis(np.exp(fine_log)[:, None, :]), y, w, offset)
    rss = np.nan_to_num(rss, nan=np.inf)
    i = np.clip(np.argmin(rss, axis=0), 1, fine - 2)
    r0, r1, r2 = rss[i - 1, cols], rss[i, cols], rss[i + 1, cols]
    x0, x1, x2 = fine_log[i - 1, cols], fine_log[i, cols], fine_log[i + 1, cols]
    curvature = r0 - 2 * r1 + r2
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(np.isfinite(curvature) & (curvature > 0), 0.5 * (r0 - r2) / curvature, 0.0)
    log_tau = x1 + np.clip(shift, -1, 1) * (x2 - x0) / 2
    tau = np.clip(np.exp(log_tau), tau_min, tau_max)
    rss, amp, off = _project(basis(tau[None, None, :]), y, w, offset)
    rms = np.sqrt(np.maximum(rss[0], 0) / np.maximum(w.sum(axis=0), 1))
    return ExponentialFit(tau, amp[0], np.asarray(off[0], dtype=float), rms)


def _prepare(y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float) * np.isfinite(y)
    return np.where(w > 0, y, 0.0), w


def fit_decay(t_us: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
              offset: np.ndarray | None = None, tau_range_us: tuple[float, float] = (0.1, 2000.0)
              ) -> ExponentialFit:
    """Fit ``y[k, n] = offset[n] + amplitude[n] * exp(-t[k] / tau[n])`` for every neuron ``n``.

    ``t_us`` (K,) in hardware us (time since the decay started), ``y`` (K, N),
    ``weights`` (K, N) 0/1 selects samples, ``offset`` (N,) fixes the asymptote (else fitted).
    """
    y, w = _prepare(y, weights)
    t = np.asarray(t_us, dtype=float)[None, :, None]
    return _grid_fit(lambda tau: np.exp(-t / tau), y, w, offset, *tau_range_us)


def psp_kernel(t_us: np.ndarray, tau_syn_us: np.ndarray, tau_m_us: np.ndarray) -> np.ndarray:
    """Membrane response to a unit jump of dV/dt decaying with ``tau_syn_us`` (CUBA PSP):
    ``tau_s tau_m / (tau_m - tau_s) * (exp(-t/tau_m) - exp(-t/tau_s))`` for t >= 0, else 0,
    evaluated stably (also for tau_m == tau_s). Broadcasts over all arguments; in us."""
    t = np.maximum(np.asarray(t_us, dtype=float), 0.0)
    rate = 1.0 / np.asarray(tau_syn_us, dtype=float) - 1.0 / np.asarray(tau_m_us, dtype=float)
    x = t * rate
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.abs(x) > 1e-9, np.expm1(x) / np.where(x == 0, 1, x), 1.0)
    return t * np.exp(-t / tau_syn_us) * ratio


def fit_psp(t_us: np.ndarray, y: np.ndarray, tau_syn_us: np.ndarray, offset: np.ndarray,
            weights: np.ndarray | None = None, tau_m_range_us: tuple[float, float] = (2.0, 5000.0)
            ) -> ExponentialFit:
    """Fit a CUBA PSP ``y = offset + slope_jump * psp_kernel(t; tau_syn, tau_m)`` per neuron,
    with ``tau_syn_us`` (N,) known and ``tau_m`` free; ``t_us`` (K,) since the input event.
    The returned ``amplitude`` is the jump of dV/dt at the onset (trace units per us),
    ``tau`` the fitted membrane time constant."""
    y, w = _prepare(y, weights)
    t = np.asarray(t_us, dtype=float)[None, :, None]
    tau_s = np.asarray(tau_syn_us, dtype=float)[None, None, :]
    return _grid_fit(lambda tau: psp_kernel(t, tau_s, tau), y, w, offset, *tau_m_range_us)


def fit_decay_beside(t_us: np.ndarray, y: np.ndarray, tau_known_us: np.ndarray, offset: np.ndarray,
                     weights: np.ndarray | None = None, tau_range_us: tuple[float, float] = (1.0, 5000.0),
                     points: int = 120) -> ExponentialFit:
    """Fit ``y = offset + amplitude exp(-t / tau) + b exp(-t / tau_known)`` per neuron with
    ``tau_known_us`` (N,) given and ``tau`` free: for every ``tau`` on a log grid of
    ``points`` values both amplitudes follow from 2 x 2 normal equations (vectorised over
    the grid and the neurons), the best grid point is refined with a parabola in log(tau).
    Returns ``tau``, ``amplitude`` (of the free decay) and ``offset``; ``rms`` residual."""
    y, w = _prepare(y, weights)
    t = np.asarray(t_us, dtype=float)[:, None]
    yo = (y - offset[None, :]) * w
    known = np.exp(-t / np.asarray(tau_known_us, dtype=float)[None, :])
    s22 = (known * known * w).sum(axis=0)
    sy2 = (known * yo).sum(axis=0)
    syy = (yo * (y - offset[None, :])).sum(axis=0)
    log_grid = np.linspace(np.log(tau_range_us[0]), np.log(tau_range_us[1]), points)

    def solve_chunk(taus):
        free = np.exp(-t[None] / (taus[:, None, :] if taus.ndim == 2 else taus[:, None, None]))
        s11 = np.einsum("gkn,kn->gn", free * free, w)
        s12 = np.einsum("gkn,kn->gn", free * known[None], w)
        sy1 = np.einsum("gkn,kn->gn", free, yo)
        det = s11 * s22 - s12 * s12
        det = np.where(np.abs(det) > 1e-12 * np.maximum(s11 * s22, 1e-300), det, np.inf)
        a = (sy1 * s22 - sy2 * s12) / det
        b = (sy2 * s11 - sy1 * s12) / det
        return syy - a * sy1 - b * sy2, a

    def solve(taus):
        parts = [solve_chunk(taus[k:k + 8]) for k in range(0, len(taus), 8)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    rss, _ = solve(np.exp(log_grid))
    cols = np.arange(y.shape[1])
    i = np.clip(np.argmin(np.nan_to_num(rss, nan=np.inf), axis=0), 1, points - 2)
    r0, r1, r2 = rss[i - 1, cols], rss[i, cols], rss[i + 1, cols]
    curvature = r0 - 2 * r1 + r2
    step = log_grid[1] - log_grid[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(np.isfinite(curvature) & (curvature > 0), 0.5 * (r0 - r2) / curvature, 0.0)
    tau = np.exp(log_grid[i] + np.clip(shift, -1, 1) * step)
    rss, amp = solve(tau[None, :])
    rms = np.sqrt(np.maximum(rss[0], 0) / np.maximum(w.sum(axis=0), 1))
    return ExponentialFit(tau, amp[0], np.asarray(offset, dtype=float), rms)
