"""Per-trial random streams for the compiled integrator.

Each trial owns one xorshift64* stream (Vigna 2016, "An experimental exploration of
Marsaglia's xorshift generators, scrambled", ACM TOMS 42:4) seeded from
``(run seed, trial index)`` with splitmix64, so a trial draws the same noise whether it
runs alone or inside a batch, on any number of threads. The sequential stream serves the
rare draws (spike jitter); per-step membrane noise of every neuron comes from a
counter-based stream keyed by it (:func:`gaussian_at`), which lets that loop vectorise.
"""
from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STAR = np.uint64(2685821657736338717)
_QUARTER_SUM_MEAN = 4 * 65535 / 2
_QUARTER_SUM_STD = float(np.sqrt(4 * (65536.0**2 - 1) / 12))


@numba.njit(cache=True, inline="always")
def splitmix64(x):
    """One splitmix64 step of a uint64 value (used to seed streams)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def trial_seeds(seed: int, n_trials: int) -> np.ndarray:
    """Initial stream states of ``n_trials`` trials of a run with seed ``seed``."""
    base = np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    states = splitmix64(base ^ splitmix64(np.arange(n_trials, dtype=np.uint64)))
    states[states == 0] = np.uint64(1)  # xorshift's one fixed point
    return states


@numba.njit(cache=True, inline="always")
def _next(state, slot):
    """Advance ``state[slot]`` (xorshift64*) and return the scrambled 64-bit output."""
    x = state[slot]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[slot] = x
    return x * _STAR


@numba.njit(cache=True, inline="always")
def gaussian(state, slot):
    """Approximately standard-normal from one draw: the four 16-bit quarters of a 64-bit
    output are summed (Irwin-Hall of four uniforms), cheap enough for per-step membrane
    noise; its tails end at +-3.46 sigma."""
    x = _next(state, slot)
    mask = np.uint64(0xFFFF)
    total = (x & mask) + ((x >> np.uint64(16)) & mask) + ((x >> np.uint64(32)) & mask) + (x >> np.uint64(48))
    return (np.float64(total) - _QUARTER_SUM_MEAN) / _QUARTER_SUM_STD


@numba.njit(cache=True, inline="always")
def gaussian_at(key, counter):
    """Approximately standard-normal value number ``counter`` of the counter-based stream
    ``key`` (splitmix64 of ``key + counter * golden ratio``; Steele et al. 2014, OOPSLA):
    independent of the order of draws, so a loop over neurons using it vectorises."""
    x = splitmix64(key + counter * _GOLDEN)
    mask = np.uint64(0xFFFF)
    total = (x & mask) + ((x >> np.uint64(16)) & mask) + ((x >> np.uint64(32)) & mask) + (x >> np.uint64(48))
    return (np.float64(total) - _QUARTER_SUM_MEAN) / _QUARTER_SUM_STD
