"""NumPy reference of one call of the ``pong`` PPU kernel, from the rules in
``ppu_firmware/kernels/pong.h`` and :mod:`.game` (tests compare the compiled C to it bit
for bit: weights, sensor resets, rate counters, mailbox, random state, events sent)."""
from __future__ import annotations

import numpy as np

from ppu_firmware.host import PPUState
from ppu_firmware.registry import decode_mailbox, kernel_spec

from .game import UNITS, Pong, XorShift32, cell_of, choose, reward_of, scheduled_noise, update_expected

CURVE_SAMPLES = 512


def _put(mailbox: np.ndarray, name: str, value) -> None:
    p = kernel_spec("pong").parameter(name)
    raw = np.asarray(value, dtype=np.int64).reshape(-1) % (1 << (8 * (p.nbytes // p.count)))
    dtype = {1: "u1", 2: ">u2", 4: ">u4"}[p.nbytes // p.count]
    mailbox[p.offset:p.offset + p.nbytes] = raw.astype(dtype).view(np.uint8)


def _as_signed32(u: int) -> int:
    return int(u) - (1 << 32) if u >= 1 << 31 else int(u)


def _game(p: dict) -> Pong:
    game = Pong(p["ball_speed"], p["paddle_speed"], p["paddle_length"], p["ball_radius"])
    game.ball = [_as_signed32(v) for v in p["ball"]]
    game.velocity = [_as_signed32(v) for v in p["velocity"]]
    game.paddle = _as_signed32(p["paddle"])
    game.hits, game.misses = p["hits"], p["misses"]
    return game


def _learn_row(state: PPUState, row: int, factor: int, columns: np.ndarray, causal_offset: np.ndarray) -> None:
    """R-STDP on ``columns`` of ``row``; resets the row's sensors."""
    c = np.clip((state.causal[row].astype(np.int64) >> 1) - (causal_offset >> 1), -128, 127)
    dw = np.clip((c * factor + 64) >> 7, -128, 127)
    mask = np.zeros(state.weights.shape[1], bool)
    mask[columns] = True
    w = state.weights[row].astype(np.int64)
    state.weights[row] = np.where(mask, np.clip(w + dw, 0, 63), w)
    state.causal[row] = 0
    state.acausal[row] = 0
    state.corr_reset[row] = 1


def pong_call(state: PPUState) -> list[int]:
    """Apply one kernel call to ``state`` in place; returns the event labels sent."""
    p = decode_mailbox("pong", state.mailbox)
    mb = state.mailbox
    rng = XorShift32(state.rng_state)
    game = _game(p)
    calls, iteration = p["calls"], p["iteration"]
    if calls == 0:
        game.new_game(rng)
    elif calls % p["window"] == 0:
        k = p["ball_cell"] % UNITS
        counts = state.rate_counters[p["output_columns"]]
        state.rate_counters[:] = 0
        target = choose(counts, rng)
        reward = reward_of(target, k, p["rewards"])
        expected = p["expected_reward"].copy()
        visits = p["visits"].copy()
        if visits[k] == 0:
            expected[k] = reward
        d, expected[k] = update_expected(int(expected[k]), reward, p["mean_shift"])
        factor = int(np.clip((p["eta"] * d + (1 << 13)) >> 14, -128, 127))
        columns = p["output_columns"][[target]] if p["chosen_only"] else p["output_columns"]
        _learn_row(state, int(p["input_rows"][k]), factor, columns, p["causal_offset"])
        visits[k] = min(visits[k] + 1, 65535)
        _put(mb, "expected_reward", expected)
        _put(mb, "visits", visits)
        _put(mb, "target", target)
        _put(mb, "reward", reward)
        iteration = p["iteration"] + 1
        total = p["reward_sum"] + reward
        _put(mb, "iteration", iteration)
        if iteration % p["curve_every"] == 0:
            s = p["samples"]
            if s < CURVE_SAMPLES:
                seen = visits > 0
                mean = int(np.floor(expected[seen].sum() / seen.sum())) if seen.any() else 0
                curve, rewards = p["curve"].copy(), p["reward_curve"].copy()
                curve[s], rewards[s] = mean, (total % (1 << 32)) // p["curve_every"]
                _put(mb, "curve", curve)
                _put(mb, "reward_curve", rewards)
                _put(mb, "samples", s + 1)
            total = 0
        _put(mb, "reward_sum", total)
        game.step(target, rng)
    _put(mb, "ball", game.ball)
    _put(mb, "velocity", game.velocity)
    _put(mb, "paddle", game.paddle)
    _put(mb, "hits", game.hits)
    _put(mb, "misses", game.misses)
    k = cell_of(game.ball[1])
    _put(mb, "ball_cell", k)
    sent = [int(p["input_labels"][k])] * p["ball_events"]
    if p["noise"]:
        noise = scheduled_noise(p["noise"], p["noise_floor"], p["noise_decay"], iteration)
        for i in range(UNITS):
            if i % 4 == 0:
                draw = rng.next()
            if (draw >> (24 - 8 * (i % 4))) & 0xFF < noise:
                sent.append(int(p["noise_labels"][i]))
    _put(mb, "calls", calls + 1)
    state.rng_state = rng.state
    return sent
