"""Exact first-spike times of a current-based LIF neuron and their gradients.

Goeltz et al., "Fast and energy-efficient neuromorphic deep learning with first-spike
times", Nat. Mach. Intell. 3:823 (2021), Methods. A neuron without reset (only its first
spike matters) integrates exponentially decaying synaptic currents::

    tau_m du/dt = -u + I / g_l,   dI/dt = -I / tau_s,   I jumps by w_i at input time t_i

with leak 0 and threshold ``theta``. All times here are in units of the synaptic time
constant ``tau_s`` (the model's time unit: 1.0 means tau_s, e.g. 6 hardware us on the
chip), weights in units with ``C_m = 1`` so that ``g_l = tau_s / tau_m``. The membrane
is then ``u(t) = sum_i w_i kappa(t - t_i)`` over inputs with ``t_i < t``:

* ``tau_m = tau_s``: ``kappa(s) = s exp(-s)``; the first crossing after the causal inputs
  ``C`` is ``t = b/a - W0(-(theta/a) exp(b/a))`` with ``a = sum_C w_i exp(t_i)``,
  ``b = sum_C w_i t_i exp(t_i)`` and ``W0`` the principal branch of Lambert W.
* ``tau_m = 2 tau_s``: ``kappa(s) = 2 (exp(-s/2) - exp(-s))``; with
  ``a1 = sum_C w_i exp(t_i)``, ``a2 = sum_C w_i exp(t_i / 2)``:
  ``t = 2 ln(2 a1 / (a2 + sqrt(a2^2 - 2 a1 theta)))``.

A candidate from the inputs up to the k-th (sorted by time) is the spike if it lies
between the k-th and the next input; the earliest such candidate wins, none means no
spike (``inf``). Gradients follow from the implicit function ``u(t) = theta``:
``dt/dw_i = -kappa(t - t_i) / u'(t)`` and ``dt/dt_i = w_i kappa'(t - t_i) / u'(t)``, which
equal the paper's Lambert-W expressions (``u'(t) = a (1 + W) exp(-t)`` for tau_m = tau_s).
Every function works on a batch of samples and all neurons of a layer at once; the
search and the backward pass run as compiled loops (:mod:`.kernels`).
"""
from __future__ import annotations

import numpy as np

from . import kernels

TAU_RATIOS = (1.0, 2.0)
"""Supported tau_m / tau_s: the two cases with closed-form spike times."""


def _check_ratio(tau_ratio: float) -> float:
    if float(tau_ratio) not in TAU_RATIOS:
        raise ValueError(f"tau_m / tau_s = {tau_ratio} has no closed-form spike time here; use 1 (Lambert W) or 2")
    return float(tau_ratio)


def psp_kernels(s: np.ndarray, tau_ratio: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Membrane response ``kappa(s)`` to a unit weight ``s`` tau_s after the input and its
    slope ``d kappa / ds`` (per tau_s); both 0 for s <= 0."""
    s = np.asarray(s, dtype=float)
    pos = np.where(s > 0, s, np.inf)  # exp(-inf) = 0 switches non-causal entries off
    if _check_ratio(tau_ratio) == 1.0:
        e = np.exp(-pos)
        pos = np.where(s > 0, s, 0.0)
        return pos * e, (1.0 - pos) * e
    half = np.exp(-pos / 2.0)
    full = half * half
    return 2.0 * (half - full), 2.0 * full - half


def first_spike_times(t_in: np.ndarray, w: np.ndarray, tau_ratio: float = 1.0,
                      threshold: float = 1.0) -> np.ndarray:
    """First spike time of every neuron for every sample.

    ``t_in``: input spike times, shape (batch, n_in), in tau_s; ``inf`` = no input spike.
    ``w``: weights, shape (n_in, n_out), in units where ``C_m = 1`` (threshold ``threshold``).
    Returns (batch, n_out) spike times in tau_s, ``inf`` where a neuron stays silent.
    """
    ratio = _check_ratio(tau_ratio)
    t_in = np.asarray(t_in, dtype=float)
    w = np.asarray(w, dtype=float)
    if t_in.ndim != 2 or w.ndim != 2 or t_in.shape[1] != w.shape[0]:
        raise ValueError(f"need t_in (batch, n_in) and w (n_in, n_out); got {t_in.shape} and {w.shape}")
    if np.any(np.isnan(t_in)):
        raise ValueError("input spike times contain NaN; use inf for 'no spike'")
    order = np.argsort(t_in, axis=1)
    ts = np.take_along_axis(t_in, order, axis=1)
    return kernels.first_spikes(np.ascontiguousarray(ts), order, np.ascontiguousarray(w), ratio, float(threshold))


def spike_time_jacobians(t_in: np.ndarray, w: np.ndarray, t_out: np.ndarray, tau_ratio: float = 1.0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``(dt_out/dw, dt_out/dt_in)``, each (batch, n_in, n_out), at given spike times.

    ``t_out`` may come from :func:`first_spike_times` or from a measurement (chip in the
    loop): the derivatives of the exact model are evaluated at the times given. Entries
    for non-causal inputs (``t_in >= t_out``) and silent neurons are 0; a neuron whose
    membrane slope at ``t_out`` is not positive (a measured time the model cannot
    produce) gets 0 too.
    """
    with np.errstate(invalid="ignore"):  # inf - inf: silent input and silent neuron
        s = np.asarray(t_out, float)[:, None, :] - np.asarray(t_in, float)[:, :, None]
    k, kp = psp_kernels(np.where(np.isfinite(s), s, 0.0), tau_ratio)
    wkp = w[None, :, :] * kp
    slope = wkp.sum(axis=1, keepdims=True)  # u'(t_out), (batch, 1, n_out)
    good = slope > 0
    inv = np.where(good, 1.0 / np.where(good, slope, 1.0), 0.0)
    return -k * inv, wkp * inv


def backward(t_in: np.ndarray, w: np.ndarray, t_out: np.ndarray, grad_t_out: np.ndarray,
             tau_ratio: float = 1.0, max_dw_norm: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Chain rule through one layer: ``(dL/dw (n_in, n_out), dL/dt_in (batch, n_in))``
    from ``dL/dt_out`` (batch, n_out), with the Jacobians of :func:`spike_time_jacobians`
    contracted on the fly (compiled loop, no (batch, n_in, n_out) arrays).

    ``max_dw_norm`` (Goeltz et al. 2021): where a neuron barely reaches threshold,
    ``u'(t)`` is tiny and the gradients diverge; a (sample, neuron) pair whose largest
    weight-gradient entry exceeds ``max_dw_norm`` contributes no weight gradient.
    """
    g = np.where(np.isfinite(t_out), grad_t_out, 0.0)
    return kernels.backward(np.ascontiguousarray(t_in, dtype=float), np.ascontiguousarray(w, dtype=float),
                            np.ascontiguousarray(t_out, dtype=float), np.ascontiguousarray(g, dtype=float),
                            _check_ratio(tau_ratio), -1.0 if max_dw_norm is None else float(max_dw_norm))
