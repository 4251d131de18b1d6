"""Compiled integration of the neuron circuits, vectorised over neurons and trials.

Per neuron (units mV, nA, pF, uS, us)::

    C dV/dt   = g_l (V_leak - V) + I_exc - I_inh + I_offset + I_exp(V) - w
    dI_x/dt   = -I_x / tau_syn_x                       (CUBA; COBA: g_x, I_x = g_x (E_x - V))
    tau_w dw/dt = a (V - V_ref) - w,   w += b at a spike
    I_exp(V)  = I_T exp((V - V_exp) / Delta_T)

Integration on a fixed grid ``dt``:

* the linear CUBA part (membrane + exponential synaptic currents) uses its exact
  propagator, including ``tau_m == tau_syn`` (``h exp(-h / tau)``);
* input events act at their own time inside a step (their exact contribution to the
  membrane at the end of the step is added), so sub-threshold CUBA traces are exact at the
  grid points for any ``dt``;
* the exponential term, adaptation and COBA conductances are held constant over a step
  (exponential Euler), first order in ``dt``;
* a threshold crossing is placed by linear interpolation inside the step, so the spike
  time error shrinks as ``dt**2`` for smooth crossings;
* after a spike the membrane is pulled to the reset potential through the reset
  conductance for the clamp time and cannot fire for the refractory time;
* recurrent events from spikes in a step reach their targets (at the spike time) after
  every neuron's threshold test of that step: a routing latency of at most one ``dt``;
* membrane noise is an Ornstein-Uhlenbeck process with stationary std ``sigma``, added
  exactly per step.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from .random_streams import gaussian, gaussian_at, splitmix64

# columns of the parameter matrix P (M, n_params): one neuron's parameters are contiguous
(V_LEAK, V_RESET, V_TH, C_MEM, G_LEAK, G_RESET, T_REF, T_CLAMP, TH_EN, TAU_E, TAU_I, COBA_E, COBA_I,
 E_REV_E, E_REV_I, I_OFF, AD_EN, TAU_W, ADAPT_A, ADAPT_B, V_REF, EX_EN, I_EXP, V_EXP, DELTA_T,
 NOISE_MV) = range(26)
N_PARAMS = 26

# rows of the per-channel event constants (see event_constants)
EV_RATE, EV_GAP, EV_INV_C, EV_COBA = range(4)

# rows of the state tensor S (n_trials, N_STATE, M)
V, I_E, I_I, W_AD, R_CLAMP, R_BLOCK = range(6)
N_STATE = 6

EXP_ARGUMENT_LIMIT = 20.0
"""The exponential term's argument is capped here: the membrane crosses any sensible
threshold long before, and the cap keeps a run-away neuron finite."""


SERIES_LIMIT = 0.03
"""Below this argument :func:`exp_neg` and :func:`expm1_ratio` use their Taylor series to
the 5th order (relative error < x**6 / 720 = 1e-12): input events almost always arrive a
fraction of a time constant before the end of their step, where the series is exact to
double precision in practice and several times cheaper than ``math.exp``."""


@numba.njit(cache=True, inline="always", error_model="numpy")
def exp_neg(x):
    """exp(-x) for x >= 0."""
    if x < SERIES_LIMIT:
        return 1.0 - x * (1.0 - x / 2.0 * (1.0 - x / 3.0 * (1.0 - x / 4.0 * (1.0 - x / 5.0))))
    return math.exp(-x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def expm1_ratio(y):
    """(exp(y) - 1) / y, 1 at y = 0, without cancellation for small |y|."""
    if abs(y) < SERIES_LIMIT:
        return 1.0 + y / 2.0 * (1.0 + y / 3.0 * (1.0 + y / 4.0 * (1.0 + y / 5.0 * (1.0 + y / 6.0))))
    return math.expm1(y) / y


@numba.njit(cache=True, inline="always", error_model="numpy")
def psc_kernel_decayed(h, rate_gap, decay_s):
    """:func:`psc_kernel` with ``decay_s = exp(-h / tau_s)`` already known and
    ``rate_gap = 1 / tau_s - 1 / tau_m`` (1/us): ``h exp(-h / tau_s) (exp(h rate_gap) - 1) /
    (h rate_gap)``, which is ``h exp(-h / tau)`` when the two time constants are equal."""
    return h * decay_s * expm1_ratio(h * rate_gap)


@numba.njit(cache=True, inline="always", error_model="numpy")
def psc_kernel(h, tau_m, tau_s):
    """Membrane response (us) at time h to a unit current jump decaying with tau_s, per unit
    capacitance: int_0^h exp(-s/tau_s) exp(-(h-s)/tau_m) ds."""
    return psc_kernel_decayed(h, 1.0 / tau_s - 1.0 / tau_m, math.exp(-h / tau_s))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _free_step(P, i, v, ie, ii, w, h, em, ee, ei, ke, ki, ew):
    """Advance one neuron by h while it is free to integrate; returns (v, ie, ii, w)."""
    i_nl = P[i, I_OFF] - w
    if P[i, EX_EN] > 0.0:
        i_nl += P[i, I_EXP] * math.exp(min((v - P[i, V_EXP]) / P[i, DELTA_T], EXP_ARGUMENT_LIMIT))
    c = P[i, C_MEM]
    g_l = P[i, G_LEAK]
    if P[i, COBA_E] > 0.0 or P[i, COBA_I] > 0.0:
        avg_e = ie * P[i, TAU_E] * (1.0 - ee) / h
        avg_i = ii * P[i, TAU_I] * (1.0 - ei) / h
        g_tot = g_l
        numerator = g_l * P[i, V_LEAK] + i_nl
        if P[i, COBA_E] > 0.0:
            g_tot += avg_e
            numerator += avg_e * P[i, E_REV_E]
        else:
            numerator += avg_e
        if P[i, COBA_I] > 0.0:
            g_tot += avg_i
            numerator += avg_i * P[i, E_REV_I]
        else:
            numerator -= avg_i
        v_inf = numerator / g_tot
        v_new = v_inf + (v - v_inf) * math.exp(-h * g_tot / c)
    else:
        v_inf = P[i, V_LEAK] + i_nl / g_l
        v_new = v_inf + (v - v_inf) * em + (ie * ke - ii * ki) / c
    if P[i, AD_EN] > 0.0:
        w_inf = P[i, ADAPT_A] * (v - P[i, V_REF])
        w = w_inf + (w - w_inf) * ew
    return v_new, ie * ee, ii * ei, w


@numba.njit(cache=True, inline="always", error_model="numpy")
def _apply_event(P, E, S_b, free_from, i, channel, amplitude, t_event, t_end):
    """Add an event arriving at t_event (inside the current step) to neuron i's state at
    t_end. ``E[channel, :, i]`` holds the neuron's event constants (:data:`EV_RATE` ...)."""
    row = I_E if channel == 0 else I_I
    h = t_end - t_event
    decay = exp_neg(h * E[channel, EV_RATE, i])
    S_b[row, i] += amplitude * decay
    if E[channel, EV_COBA, i] > 0.0:
        return
    if free_from[i] <= t_event:                       # free since before the event (the usual case)
        jump = amplitude * psc_kernel_decayed(h, E[channel, EV_GAP, i], decay) * E[channel, EV_INV_C, i]
    elif free_from[i] < t_end:                        # the event arrived during the reset clamp
        t_start = free_from[i]
        tau = 1.0 / E[channel, EV_RATE, i]
        tau_m = P[i, C_MEM] / P[i, G_LEAK]
        jump = amplitude * math.exp(-(t_start - t_event) / tau) * psc_kernel(t_end - t_start, tau_m, tau) / P[i, C_MEM]
    else:
        return
    S_b[V, i] += jump if channel == 0 else -jump


@numba.njit(cache=True, error_model="numpy")
def event_constants(P):
    """(2 channels, 4, M) per-neuron constants of :func:`_apply_event`: decay rate 1/tau_syn,
    rate gap 1/tau_syn - 1/tau_m (1/us), 1/C (1/pF) and the COBA flag of each channel."""
    m = P.shape[0]
    E = np.empty((2, 4, m))
    for i in range(m):
        tau_m = P[i, C_MEM] / P[i, G_LEAK]
        for channel, tau_col, coba_col in ((0, TAU_E, COBA_E), (1, TAU_I, COBA_I)):
            E[channel, EV_RATE, i] = 1.0 / P[i, tau_col]
            E[channel, EV_GAP, i] = 1.0 / P[i, tau_col] - 1.0 / tau_m
            E[channel, EV_INV_C, i] = 1.0 / P[i, C_MEM]
            E[channel, EV_COBA, i] = P[i, coba_col]
    return E


# rows of the per-neuron step constants (see step_constants)
(Q_EM, Q_EE, Q_EI, Q_KE, Q_KI, Q_EW, Q_ER, Q_NOISE, Q_LINEAR, Q_V_REST, Q_KE_C, Q_KI_C, Q_V_TEST) = range(13)
N_STEP_CONSTANTS = 13

PARALLEL_MIN_NEURON_STEPS = 2_000_000
"""Batches with less work than this (trials x steps x neurons) run on the calling thread:
starting the thread pool costs up to milliseconds on a loaded machine, far more than a
small segment (a PPU period of one trial) takes to integrate."""


@numba.njit(cache=True, error_model="numpy")
def step_constants(P, dt):
    """(N_STEP_CONSTANTS, M) per-neuron propagators of one step ``dt`` (us): decays of the
    membrane, synaptic currents, adaptation and reset (``Q_EM`` ...), the synaptic kernels
    (``Q_KE``/``Q_KI`` in us, ``_C`` divided by C), the per-step noise std (mV), the rest
    potential (mV), whether the neuron is a plain CUBA LIF (``Q_LINEAR``: the exact
    propagator alone) and the potential its threshold test starts at (``Q_V_TEST``, mV:
    the threshold, +inf with the threshold off)."""
    m = P.shape[0]
    Q = np.empty((N_STEP_CONSTANTS, m))
    for i in range(m):
        tau_m = P[i, C_MEM] / P[i, G_LEAK]
        Q[Q_EM, i] = math.exp(-dt / tau_m)
        Q[Q_EE, i] = math.exp(-dt / P[i, TAU_E])
        Q[Q_EI, i] = math.exp(-dt / P[i, TAU_I])
        Q[Q_KE, i] = psc_kernel(dt, tau_m, P[i, TAU_E])
        Q[Q_KI, i] = psc_kernel(dt, tau_m, P[i, TAU_I])
        Q[Q_EW, i] = math.exp(-dt / P[i, TAU_W])
        Q[Q_ER, i] = math.exp(-dt * P[i, G_RESET] / P[i, C_MEM])
        Q[Q_NOISE, i] = P[i, NOISE_MV] * math.sqrt(max(1.0 - Q[Q_EM, i] ** 2, 0.0))
        Q[Q_LINEAR, i] = 1.0 if (P[i, COBA_E] == 0.0 and P[i, COBA_I] == 0.0 and P[i, EX_EN] == 0.0
                                 and P[i, AD_EN] == 0.0) else 0.0
        Q[Q_V_REST, i] = P[i, V_LEAK] + P[i, I_OFF] / P[i, G_LEAK]
        Q[Q_KE_C, i] = Q[Q_KE, i] / P[i, C_MEM]
        Q[Q_KI_C, i] = Q[Q_KI, i] / P[i, C_MEM]
        Q[Q_V_TEST, i] = P[i, V_TH] if P[i, TH_EN] != 0.0 else np.inf
    return Q


def integrate(P, source_of_neuron, ptr, target, channel, amplitude,
              ev_ptr, ev_time, ev_source,
              S, rng, t_start, dt, n_steps, jitter_us,
              madc_index, madc_row, madc_out, cadc_times, cadc_out,
              spike_time, spike_neuron, spike_count, rate_counter):
    """Integrate all trials from ``t_start`` for ``n_steps`` steps of ``dt`` (us).

    State ``S`` (n_trials, N_STATE, M) and ``rng`` (n_trials,) are advanced in place:
    ``rng[b]`` keys trial b's membrane noise (counter-based, per step and neuron) and
    feeds its spike jitter (sequential).
    Outputs: ``madc_out[b, j, k]`` state row ``madc_row`` of neuron ``madc_index[j]`` at
    ``t_start + k dt`` (k = 0..n_steps); ``cadc_out[b, s, i]`` membrane at
    ``cadc_times[s]`` (linear between grid points); spikes into the per-trial buffers
    (``spike_count`` keeps counting past their capacity so the caller can grow them);
    ``rate_counter`` 8-bit saturating spike counts. Trials run in parallel when the batch
    is large enough (:data:`PARALLEL_MIN_NEURON_STEPS`); the result does not depend on it.
    """
    n_trials, _, m = S.shape
    parallel = n_trials > 1 and n_trials * n_steps * m >= PARALLEL_MIN_NEURON_STEPS
    run_trials = _trials_parallel if parallel else _trials_serial
    run_trials(P, step_constants(P, dt), event_constants(P), source_of_neuron, ptr, target, channel, amplitude,
               ev_ptr, ev_time, ev_source, S, rng, t_start, dt, n_steps, jitter_us,
               madc_index, madc_row, madc_out, cadc_times, cadc_out, spike_time, spike_neuron, spike_count,
               rate_counter)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _trials_parallel(P, Q, E, source_of_neuron, ptr, target, channel, amplitude, ev_ptr, ev_time, ev_source,
                     S, rng, t_start, dt, n_steps, jitter_us, madc_index, madc_row, madc_out, cadc_times,
                     cadc_out, spike_time, spike_neuron, spike_count, rate_counter):
    for b in prange(S.shape[0]):
        _trial(b, P, Q, E, source_of_neuron, ptr, target, channel, amplitude, ev_ptr, ev_time, ev_source,
               S, rng, t_start, dt, n_steps, jitter_us, madc_index, madc_row, madc_out, cadc_times,
               cadc_out, spike_time, spike_neuron, spike_count, rate_counter)


@numba.njit(cache=True, error_model="numpy")
def _trials_serial(P, Q, E, source_of_neuron, ptr, target, channel, amplitude, ev_ptr, ev_time, ev_source,
                   S, rng, t_start, dt, n_steps, jitter_us, madc_index, madc_row, madc_out, cadc_times,
                   cadc_out, spike_time, spike_neuron, spike_count, rate_counter):
    for b in range(S.shape[0]):
        _trial(b, P, Q, E, source_of_neuron, ptr, target, channel, amplitude, ev_ptr, ev_time, ev_source,
               S, rng, t_start, dt, n_steps, jitter_us, madc_index, madc_row, madc_out, cadc_times,
               cadc_out, spike_time, spike_neuron, spike_count, rate_counter)


@numba.njit(cache=True, error_model="numpy")
def _trial(b, P, Q, E, source_of_neuron, ptr, target, channel, amplitude, ev_ptr, ev_time, ev_source,
           S, rng, t_start, dt, n_steps, jitter_us, madc_index, madc_row, madc_out, cadc_times,
           cadc_out, spike_time, spike_neuron, spike_count, rate_counter):
    """Trial ``b`` of :func:`integrate`."""
    m = S.shape[2]
    capacity = spike_time.shape[1]
    em, ee, ei, ke, ki, ew, er, noise = Q[Q_EM], Q[Q_EE], Q[Q_EI], Q[Q_KE], Q[Q_KI], Q[Q_EW], Q[Q_ER], Q[Q_NOISE]
    linear, v_rest, ke_c, ki_c, v_test = Q[Q_LINEAR], Q[Q_V_REST], Q[Q_KE_C], Q[Q_KI_C], Q[Q_V_TEST]
    noisy = m > 0 and noise.max() > 0.0
    all_linear = m == 0 or linear.min() > 0.0
    first_step = int(round(t_start / dt))    # global step index: segments continue the noise stream
    n_madc = madc_index.size
    n_cadc = cadc_times.size
    S_b = S[b]
    v_a = S_b[V]
    ie_a = S_b[I_E]
    ii_a = S_b[I_I]
    w_a = S_b[W_AD]
    clamp_a = S_b[R_CLAMP]
    block_a = S_b[R_BLOCK]
    free_from = np.empty(m)
    v_start = np.empty(m)
    v_prev = np.empty(m)
    pend_time = np.empty(m)
    pend_source = np.empty(m, np.int64)
    ev = ev_ptr[b]
    ev_end = ev_ptr[b + 1]
    next_cadc = 0
    noise_key = splitmix64(rng[b])         # this segment's membrane-noise stream of trial b
    for j in range(n_madc):
        madc_out[b, j, 0] = S_b[madc_row, madc_index[j]]
    for k in range(n_steps):
        t0 = t_start + k * dt
        t1 = t0 + dt
        # (1) every neuron as a free, plain CUBA LIF: branch-free, so it vectorises
        for i in range(m):
            v = v_a[i]
            v_prev[i] = v
            v_start[i] = v
            free_from[i] = t0
            v_a[i] = v_rest[i] + (v - v_rest[i]) * em[i] + ie_a[i] * ke_c[i] - ii_a[i] * ki_c[i]
            block_a[i] = max(block_a[i] - dt, 0.0)
        # (2) redo the membrane of neurons in their reset clamp or with non-linear terms
        # (a branch-free scan first: in most steps of a plain LIF network there are none)
        redo = not all_linear
        if all_linear:
            for i in range(m):
                redo |= clamp_a[i] > 0.0
        for i in range(m if redo else 0):
            clamp = clamp_a[i]
            if linear[i] > 0.0 and clamp <= 0.0:
                continue
            v = v_prev[i]
            w = w_a[i]
            if clamp >= dt:
                vr = P[i, V_RESET]
                v = vr + (v - vr) * er[i]
                if P[i, AD_EN] > 0.0:
                    w_inf = P[i, ADAPT_A] * (v - P[i, V_REF])
                    w = w_inf + (w - w_inf) * ew[i]
                free_from[i] = t1
                clamp_a[i] = clamp - dt
            elif clamp > 0.0:
                vr = P[i, V_RESET]
                v = vr + (v - vr) * math.exp(-clamp * P[i, G_RESET] / P[i, C_MEM])
                h = dt - clamp
                tau_m = P[i, C_MEM] / P[i, G_LEAK]
                v_start[i] = v
                v, _, _, w = _free_step(
                    P, i, v, ie_a[i] * math.exp(-clamp / P[i, TAU_E]), ii_a[i] * math.exp(-clamp / P[i, TAU_I]),
                    w, h, math.exp(-h / tau_m), math.exp(-h / P[i, TAU_E]), math.exp(-h / P[i, TAU_I]),
                    psc_kernel(h, tau_m, P[i, TAU_E]), psc_kernel(h, tau_m, P[i, TAU_I]),
                    math.exp(-h / P[i, TAU_W]))
                free_from[i] = t0 + clamp
                clamp_a[i] = 0.0
            else:
                v, _, _, w = _free_step(P, i, v, ie_a[i], ii_a[i], w, dt, em[i], ee[i], ei[i], ke[i], ki[i], ew[i])
            v_a[i] = v
            w_a[i] = w
        # (3) synaptic currents decay alike in every state
        for i in range(m):
            ie_a[i] *= ee[i]
            ii_a[i] *= ei[i]
        # (4) membrane noise on every neuron that integrated
        if noisy:
            first = np.uint64(first_step + k) * np.uint64(m)
            for i in range(m):
                integrated = 1.0 if free_from[i] < t1 else 0.0
                v_a[i] += integrated * noise[i] * gaussian_at(noise_key, first + np.uint64(i))
        while ev < ev_end and ev_time[ev] < t1:
            s = ev_source[ev]
            if s >= 0:
                for e in range(ptr[s], ptr[s + 1]):
                    _apply_event(P, E, S_b, free_from, target[e], channel[e], amplitude[e], ev_time[ev], t1)
            ev += 1
        n_pend = 0
        crossed = False  # a branch-free scan first: in most steps no neuron reaches its threshold
        for i in range(m):
            crossed |= v_a[i] >= v_test[i]
        for i in range(m if crossed else 0):
            if P[i, TH_EN] == 0.0 or S_b[R_BLOCK, i] > 0.0 or free_from[i] >= t1:
                continue
            v = S_b[V, i]
            v_th = P[i, V_TH]
            if v < v_th:
                continue
            t_free = free_from[i]
            vs = v_start[i]
            t_spike = t_free if vs >= v_th else t_free + (t1 - t_free) * (v_th - vs) / (v - vs)
            if jitter_us > 0.0:
                t_spike = min(max(t_spike + jitter_us * gaussian(rng, b), t0), t1)
            c = spike_count[b]
            if c < capacity:
                spike_time[b, c] = t_spike
                spike_neuron[b, c] = i
            spike_count[b] = c + 1
            if rate_counter[b, i] < 255:
                rate_counter[b, i] += 1
            if P[i, AD_EN] > 0.0:
                S_b[W_AD, i] += P[i, ADAPT_B]
            rest = t1 - t_spike
            vr = P[i, V_RESET]
            S_b[V, i] = vr + (v_th - vr) * math.exp(-min(rest, P[i, T_CLAMP]) * P[i, G_RESET] / P[i, C_MEM])
            S_b[R_CLAMP, i] = max(P[i, T_CLAMP] - rest, 0.0)
            S_b[R_BLOCK, i] = max(P[i, T_REF] - rest, 0.0)
            if source_of_neuron[i] >= 0:
                pend_time[n_pend] = t_spike
                pend_source[n_pend] = source_of_neuron[i]
                n_pend += 1
        for p in range(n_pend):
            s = pend_source[p]
            for e in range(ptr[s], ptr[s + 1]):
                _apply_event(P, E, S_b, free_from, target[e], channel[e], amplitude[e], pend_time[p], t1)
        for j in range(n_madc):
            madc_out[b, j, k + 1] = S_b[madc_row, madc_index[j]]
        while next_cadc < n_cadc and cadc_times[next_cadc] < t1:
            frac = (cadc_times[next_cadc] - t0) / dt
            for i in range(m):
                cadc_out[b, next_cadc, i] = v_prev[i] + (S_b[V, i] - v_prev[i]) * frac
            next_cadc += 1
