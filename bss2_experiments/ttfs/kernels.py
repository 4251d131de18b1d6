"""Compiled loops of :mod:`.model` (numba): first-spike search and the fused backward pass.

Units and equations as in :mod:`.model` (times in tau_s, threshold ``theta``, C_m = 1;
Goeltz et al., Nat. Mach. Intell. 3:823 (2021)). ``ratio`` is tau_m / tau_s (1 or 2).
Each loop runs over samples and neurons; per neuron it walks the inputs in time order,
so the cost is O(batch x n_in x n_out) with early exit at the first spike.
"""
import math

import numba
import numpy as np


@numba.njit(cache=True)
def lambert_w0(z: float) -> float:
    """Principal branch of Lambert W for real ``z`` in [-1/e, 0): series start at the
    branch point or near 0, then Halley's iteration to machine precision."""
    q = math.e * z + 1.0
    if q <= 0.0:
        return -1.0
    if z < -0.3:
        p = math.sqrt(2.0 * q)
        w = -1.0 + p - p * p / 3.0 + 11.0 / 72.0 * p * p * p
    else:
        w = z * (1.0 - z + 1.5 * z * z)
    for _ in range(8):
        ew = math.exp(w)
        f = w * ew - z
        wp1 = w + 1.0
        if wp1 == 0.0:
            break
        step = f / (ew * wp1 - (w + 2.0) * f / (2.0 * wp1))
        w -= step
        if abs(step) < 1e-15 * (1.0 + abs(w)):
            break
    return w


@numba.njit(cache=True)
def _membrane(c1, c2, t, ratio):
    """Membrane at (shifted) time ``t`` from the prefix sums ``c1``, ``c2`` of the inputs so far."""
    if ratio == 1.0:
        return (c1 * t - c2) * math.exp(-t)
    return 2.0 * (c2 * math.exp(-t / 2.0) - c1 * math.exp(-t))


@numba.njit(cache=True)
def first_spikes(ts, order, w, ratio, theta):
    """First spike (tau_s; inf = none) of every neuron; ``ts`` are the input times sorted
    per sample (inf last), ``order`` their original indices into the rows of ``w``.

    Times are taken relative to the sample's first input (the dynamics are shift
    invariant), prefix sums ``c1 = sum w exp(t_i)`` and ``c2 = sum w t_i exp(t_i)``
    (tau_m = tau_s) or ``sum w exp(t_i / 2)`` (tau_m = 2 tau_s) grow input by input; an
    input's segment holds the spike iff the membrane reaches threshold at its peak
    clipped into the segment; the crossing is then solved in closed form.
    """
    n_b, n_in = ts.shape
    n_out = w.shape[1]
    out = np.full((n_b, n_out), np.inf)
    e1 = np.empty(n_in + 1)
    e2 = np.empty(n_in)
    nxt = np.empty(n_in)
    for b in range(n_b):
        if not math.isfinite(ts[b, 0]):
            continue
        ref = ts[b, 0]
        n = 0
        while n < n_in and math.isfinite(ts[b, n]):
            s = ts[b, n] - ref
            e1[n] = math.exp(s)
            e2[n] = s * e1[n] if ratio == 1.0 else math.exp(s / 2.0)
            n += 1
        for k in range(n):
            nxt[k] = ts[b, k + 1] - ref if k + 1 < n else math.inf
        for j in range(n_out):
            c1 = 0.0
            c2 = 0.0
            for k in range(n):
                wk = w[order[b, k], j]
                c1 += wk * e1[k]
                c2 += wk * e2[k]
                if c1 <= 0.0 or (ratio != 1.0 and c2 <= 0.0):
                    continue
                peak = c2 / c1 + 1.0 if ratio == 1.0 else 2.0 * math.log(2.0 * c1 / c2)
                if peak <= ts[b, k] - ref:
                    continue  # falling through the segment: below threshold (else it fired earlier)
                at = min(peak, nxt[k])
                if _membrane(c1, c2, at, ratio) < theta:
                    continue
                if ratio == 1.0:
                    arg = max(-theta / c1 * math.exp(c2 / c1), -math.exp(-1.0))
                    t = c2 / c1 - lambert_w0(arg)
                else:
                    t = 2.0 * math.log(2.0 * c1 / (c2 + math.sqrt(max(c2 * c2 - 2.0 * c1 * theta, 0.0))))
                out[b, j] = t + ref
                break
    return out


@numba.njit(cache=True)
def backward(t_in, w, t_out, g, ratio, max_dw):
    """``(dL/dw (n_in, n_out), dL/dt_in (batch, n_in))`` from ``g = dL/dt_out`` through
    ``dt/dw_i = -kappa(t - t_i) / u'(t)`` and ``dt/dt_i = w_i kappa'(t - t_i) / u'(t)``.
    A (sample, neuron) whose largest |weight gradient| exceeds ``max_dw`` adds no weight
    gradient (``max_dw < 0``: no chopping); a non-positive ``u'(t)`` adds nothing."""
    n_b, n_in = t_in.shape
    n_out = w.shape[1]
    grad_w = np.zeros((n_in, n_out))
    grad_in = np.zeros((n_b, n_in))
    k = np.empty(n_in)
    kp = np.empty(n_in)
    for b in range(n_b):
        for j in range(n_out):
            t = t_out[b, j]
            if not math.isfinite(t) or g[b, j] == 0.0:
                continue
            slope = 0.0
            for i in range(n_in):
                s = t - t_in[b, i]
                if s > 0.0 and math.isfinite(s):
                    if ratio == 1.0:
                        e = math.exp(-s)
                        k[i] = s * e
                        kp[i] = (1.0 - s) * e
                    else:
                        h = math.exp(-s / 2.0)
                        k[i] = 2.0 * (h - h * h)
                        kp[i] = 2.0 * h * h - h
                else:
                    k[i] = 0.0
                    kp[i] = 0.0
                slope += w[i, j] * kp[i]
            if slope <= 0.0:
                continue
            gs = g[b, j] / slope
            chop = False
            if max_dw >= 0.0:
                for i in range(n_in):
                    if abs(k[i] * gs) > max_dw:
                        chop = True
                        break
            for i in range(n_in):
                if not chop:
                    grad_w[i, j] -= k[i] * gs
                grad_in[b, i] += w[i, j] * kp[i] * gs
    return grad_w, grad_in
