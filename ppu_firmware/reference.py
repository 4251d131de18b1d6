"""NumPy reference of every kernel's fixed-point rule, written from the documented
semantics (``kernels/*.h``, ``include/ppu/fxv.h``), not from the C code.

Used by tests/test_ppu_kernels.py to check the compiled C bit for bit. Arithmetic is
done in int64 with explicit clipping: ``sat8``/``sat16`` clip to the signed lane range,
``mul_round(a, b, f) = floor((a*b + 2**(f-1)) / 2**f)`` is the fractional multiply,
``>>`` on int64 is floor division by a power of two. The random numbers are the same
xorshift32 stream (Marsaglia 2003) with bytes taken most significant first.
"""
from __future__ import annotations

import numpy as np

from .cgp import reference_update
from .host import PPUState
from .registry import decode_mailbox

ZERO_SEED = 0x9E3779B9
WEIGHT_MAX = 63


def sat8(x: np.ndarray) -> np.ndarray:
    return np.clip(x, -128, 127)


def sat16(x: np.ndarray) -> np.ndarray:
    return np.clip(x, -32768, 32767)


def mul_round(a, b, frac_bits: int):
    """round(a * b / 2**frac_bits), ties up (before saturation)."""
    half = (1 << frac_bits) >> 1
    return (np.asarray(a, dtype=np.int64) * b + half) >> frac_bits


def as_int8(raw: np.ndarray) -> np.ndarray:
    """Raw bytes as signed lanes (what a vector load puts in a lane)."""
    return np.asarray(raw, dtype=np.uint8).view(np.int8).astype(np.int64)


def xorshift32_bytes(state: int, n_draws: int) -> tuple[np.ndarray, int]:
    """``n_draws`` xorshift32 values as 4 * n_draws bytes (MSB first), and the new state."""
    x = state
    out = np.empty(n_draws, dtype=np.uint32)
    for i in range(n_draws):
        x = x or ZERO_SEED
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x
    return out.astype(">u4").view(np.uint8), x


def _reset_rows(state: PPUState, rows: np.ndarray) -> None:
    state.causal[rows] = 0
    state.acausal[rows] = 0
    state.corr_reset[rows] = 1


def _stdp_dw(state: PPUState, rows: np.ndarray, p: dict) -> np.ndarray:
    c = sat8((state.causal[rows].astype(np.int64) >> 1) - (p["causal_offset"] >> 1))
    a = sat8((state.acausal[rows].astype(np.int64) >> 1) - (p["acausal_offset"] >> 1))
    return sat8(mul_round(sat8(c - a), p["factor"], 7))


def _homeostasis_delta(state: PPUState, target: int, step: int, reset: bool) -> np.ndarray:
    sign = np.clip(target - state.rate_counters.astype(np.int64), -1, 1)
    if reset:
        state.rate_counters[:] = 0
    return sign * step


def stdp(state: PPUState) -> None:
    p = decode_mailbox("stdp", state.mailbox)
    rows = p["rows"]
    w = state.weights[rows].astype(np.int64)
    state.weights[rows] = np.clip(sat8(w + _stdp_dw(state, rows, p)), 0, WEIGHT_MAX)
    if p["reset"]:
        _reset_rows(state, rows)


def rstdp(state: PPUState) -> None:
    p = decode_mailbox("rstdp", state.mailbox)
    rows, k = p["rows"], p["state"] % 64
    expected = p["expected_reward"][k]
    diff = int(sat16(p["reward"] - expected))
    s = int(sat16(mul_round(p["eta"], diff, 15)))
    e = np.maximum(state.causal[rows].astype(np.int64) - p["causal_offset"], 0)
    w = state.weights[rows].astype(np.int64)
    state.weights[rows] = np.clip(sat16(w + sat16(mul_round(e, s, 14))), 0, WEIGHT_MAX)
    if p["reset"]:
        _reset_rows(state, rows)
    at = 0x040 + 2 * k
    state.mailbox[at:at + 2] = np.array([sat16(expected + (diff >> p["mean_shift"]))], ">i2").view(np.uint8)


def homeostasis(state: PPUState) -> None:
    p = decode_mailbox("homeostasis", state.mailbox)
    delta = _homeostasis_delta(state, p["target"], p["step"], p["reset"])
    rows = p["rows"]
    state.weights[rows] = np.clip(sat8(state.weights[rows].astype(np.int64) + delta), 0, WEIGHT_MAX)


def structural(state: PPUState) -> None:
    p = decode_mailbox("structural", state.mailbox)
    rows = p["rows"]
    calls = (p["calls"] + 1) % 2**32
    pruning = p["prune_period"] != 0 and calls % p["prune_period"] == 0
    homeo = _homeostasis_delta(state, p["target"], p["step"], p["reset"])
    dw = _stdp_dw(state, rows, p)
    # random stream: per row and half, 32 draws of noise, then 32 of labels when pruning
    blocks = 2 if pruning else 1
    stream, state.rng_state = xorshift32_bytes(state.rng_state, len(rows) * 2 * blocks * 32)
    stream = stream.reshape(len(rows), 2, blocks, 128)
    noise = sat8(mul_round(as_int8(stream[:, :, 0]).reshape(len(rows), 256), p["noise"], 7))
    w = state.weights[rows].astype(np.int64)
    w = np.clip(sat8(sat8(sat8(w + dw) + homeo) + noise), 0, WEIGHT_MAX)
    pruned = 0
    if pruning:
        labels = state.labels[rows].astype(np.int64)
        rewire = (w < p["prune_threshold"]) & (labels < p["label_count"])
        new_labels = (stream[:, :, 1].reshape(len(rows), 256).astype(np.int64) * p["label_count"]) >> 8
        state.labels[rows] = np.where(rewire, new_labels, labels)
        w = np.where(rewire, p["initial_weight"], w)
        pruned = int(rewire.sum())
    state.weights[rows] = w
    if p["reset"]:
        _reset_rows(state, rows)
    state.mailbox[0x00C:0x014] = np.array([calls, (p["pruned"] + pruned) % 2**32], ">u4").view(np.uint8)


# the cgp kernel's reference lives with its encoding (ppu_firmware/cgp.py)
cgp = reference_update

REFERENCES = {"stdp": stdp, "rstdp": rstdp, "homeostasis": homeostasis, "structural": structural, "cgp": cgp}
"""Kernel name -> reference function that updates a PPUState in place like the C kernel."""
