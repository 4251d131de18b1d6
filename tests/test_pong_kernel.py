"""The ``pong`` PPU kernel: game physics, reward, expected reward and the R-STDP update,
bit for bit against the NumPy reference (bss2_experiments/rstdp/reference.py)."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.rstdp.game import (ONE, Pong, XorShift32, cell_of, choose, reward_of, scheduled_noise,
                                         update_expected)
from bss2_experiments.rstdp.reference import pong_call
from ppu_firmware import host
from ppu_firmware.errors import ParameterError
from ppu_firmware.registry import decode_mailbox


def _state(params: dict, rng: np.random.Generator) -> host.PPUState:
    z = lambda *s: np.zeros(s, np.uint8)  # noqa: E731
    return host.PPUState.for_kernel("pong", params, weights=rng.integers(0, 64, (256, 256)).astype(np.uint8),
                                    labels=z(256, 256), causal=z(256, 256), acausal=z(256, 256), corr_reset=z(256),
                                    rate_counters=z(256), cadc=z(256), rng_state=12345)


@pytest.mark.parametrize("chosen_only, noise_decay", [(0, 0), (1, 5)])
def test_kernel_matches_the_numpy_reference_over_600_calls(chosen_only, noise_decay):
    """Random sensors and counters every call, fast ball and paddle so that reflections,
    hits and misses (new games) all happen: weights, resets, counters, mailbox, random
    state and events sent agree exactly, for the paper's whole-row update with constant
    noise and for the chosen-unit update with noise decaying 40 -> 10 over 150 iterations."""
    rng = np.random.default_rng(1)
    params = dict(window=3, ball_events=2, noise=40, curve_every=2, eta=900, ball_speed=6000, paddle_speed=5000,
                  chosen_only=chosen_only, noise_decay=noise_decay, noise_floor=10,
                  input_labels=rng.integers(0, 2**14, 32), noise_labels=rng.integers(0, 2**14, 32),
                  input_rows=rng.permutation(256)[:32], output_columns=rng.permutation(256)[:32],
                  causal_offset=rng.integers(0, 12, 256))
    chip = _state(params, rng)
    ref = chip.copy()
    noise_events = []
    for call in range(600):
        for name, high in (("causal", 40), ("acausal", 40), ("rate_counters", 4)):
            value = rng.integers(0, high, getattr(chip, name).shape).astype(np.uint8)
            getattr(chip, name)[:] = value
            getattr(ref, name)[:] = value
        chip.corr_reset[:] = 0
        ref.corr_reset[:] = 0
        host.run_kernel("pong", chip)
        sent = chip.spikes_out().tolist()
        chip.clear_spikes_out()
        assert sent == pong_call(ref), call
        noise_events.append(len(set(sent) & set(params["noise_labels"].tolist())))
        for name in ("weights", "causal", "acausal", "corr_reset", "rate_counters"):
            assert np.array_equal(getattr(chip, name), getattr(ref, name)), (call, name)
        assert chip.rng_state == ref.rng_state
        assert np.array_equal(chip.mailbox[:0xE00], ref.mailbox[:0xE00]), call
    m = decode_mailbox("pong", chip.mailbox)
    assert m["iteration"] == 199 and m["samples"] == 99
    assert m["misses"] >= 5 and m["hits"] >= 1          # both branches of the right edge exercised
    assert (m["visits"] > 0).sum() >= 20
    early, late = np.mean(noise_events[:90]), np.mean(noise_events[-150:])   # 32 units x p / 256 per call
    assert 3.5 < early < 6.5 and (3.5 < late < 6.5 if noise_decay == 0 else 0.4 < late < 2.2), (early, late)


def test_learning_changes_only_the_ball_row_and_output_columns_by_the_documented_amount():
    """One learning call with R = 1 after Rbar = 0.5: f = round(eta * 0.5) and
    dw = round(f * (c/2 - o/2) / 128) on the ball cell's row, output columns only."""
    rng = np.random.default_rng(2)
    rows, cols = np.arange(32) + 40, np.arange(32) * 2
    params = dict(window=1, eta=256, input_rows=rows, output_columns=cols, causal_offset=4,
                  expected_reward=[8192] * 32, visits=[1] * 32, calls=1, ball=(ONE // 2, ONE // 2), ball_cell=16)
    chip = _state(params, rng)
    k = 16
    chip.rate_counters[cols[k]] = 9                       # unit 16 wins: distance 0, R = 1
    chip.causal[rows[k]] = 24
    before = chip.weights.copy()
    host.run_kernel("pong", chip)
    f = (256 * 8192 + (1 << 13)) >> 14                    # = 128 -> clipped to 127
    assert f == 128
    dw = ((24 >> 1) - (4 >> 1)) * 127 + 64 >> 7           # 10 LSB
    changed = np.argwhere(chip.weights != before)
    assert set(changed[:, 0]) == {rows[k]}
    expected = np.clip(before[rows[k], cols].astype(int) + dw, 0, 63)
    assert np.array_equal(chip.weights[rows[k], cols], expected)
    m = decode_mailbox("pong", chip.mailbox)
    assert m["target"] == k and m["reward"] == 16384
    assert m["expected_reward"][k] == 8192 + (16384 - 8192) // 2     # Rbar <- Rbar + (R - Rbar) / 2
    assert chip.corr_reset[rows[k]] == 1 and chip.rate_counters.max() == 0


def test_chosen_only_learning_changes_the_chosen_units_synapse_alone():
    """The same call with chosen_only: unit 17 wins (distance 1, R = 0.7 > Rbar = 0.5), so
    f = round(256 * 0.2) and only synapse (ball row, column of unit 17) moves by
    round(f * (c/2 - o/2) / 128), although every column of the row has the same sensor."""
    rng = np.random.default_rng(3)
    rows, cols = np.arange(32) + 40, np.arange(32) * 2
    params = dict(window=1, eta=256, input_rows=rows, output_columns=cols, causal_offset=4, chosen_only=1,
                  expected_reward=[8192] * 32, visits=[1] * 32, calls=1, ball=(ONE // 2, ONE // 2), ball_cell=16)
    chip = _state(params, rng)
    chip.rate_counters[cols[17]] = 9
    chip.causal[rows[16]] = 24
    before = chip.weights.copy()
    host.run_kernel("pong", chip)
    f = (256 * (11469 - 8192) + (1 << 13)) >> 14
    dw = ((24 >> 1) - (4 >> 1)) * f + 64 >> 7
    assert (f, dw) == (51, 4)
    changed = np.argwhere(chip.weights != before)
    expected = min(int(before[rows[16], cols[17]]) + dw, 63)
    assert chip.weights[rows[16], cols[17]] == expected
    assert changed.tolist() == ([[rows[16], cols[17]]] if expected != before[rows[16], cols[17]] else [])
    assert decode_mailbox("pong", chip.mailbox)["target"] == 17 and chip.corr_reset[rows[16]] == 1


def test_noise_schedule():
    assert [scheduled_noise(32, 4, 500, i) for i in (0, 499, 500, 10000, 14000, 20000)] == [32, 32, 31, 12, 4, 4]
    assert scheduled_noise(80, 0, 0, 10**6) == 80 and scheduled_noise(3, 8, 10, 1000) == 3   # constant; floor > noise


def test_reward_table_and_expected_reward_update():
    assert [reward_of(10, b) for b in (10, 11, 9, 12, 7, 14, 30)] == [16384, 11469, 11469, 6554, 1638, 0, 0]
    assert update_expected(0, 16384) == (16384, 8192)
    assert update_expected(8192, 0) == (-8192, 4096)
    assert update_expected(100, 101) == (1, 100)          # floor of d / 2


def test_game_physics_reflection_paddle_limits_and_miss():
    rng = XorShift32(7)
    game = Pong()
    game.ball, game.velocity = [ONE // 2, ONE - 1000], [0, 400]            # top wall
    game.step(16, rng)
    assert game.velocity[1] == -400 and game.ball[1] == ONE - 1400
    game.ball, game.velocity = [1000, ONE // 2], [-300, 0]                  # left wall
    game.step(16, rng)
    assert game.velocity[0] == 300
    game.paddle = ONE - 2100                                                 # cell 30
    game.step(31, rng)                                                       # paddle stops at 1.0
    assert game.paddle == ONE and cell_of(game.paddle) == 31
    game.paddle = 20
    game.step(0, rng)
    assert game.paddle == 20                                                 # already in cell 0: stays
    game.ball, game.velocity, game.paddle = [ONE - 1000, 30000], [500, 0], 30000   # paddle hit
    assert not game.step(0, rng) and game.velocity[0] == -500 and game.hits == 1
    game.ball, game.velocity, game.paddle = [ONE - 1000, 60000], [500, 0], 30000   # miss -> new game
    assert game.step(0, rng) and game.misses == 1 and game.ball == [ONE // 2, ONE // 2]
    vx, vy = game.velocity
    assert abs(vx) + abs(vy) in (1637, 1638) and abs(vx) >= 818                # L1 speed 0.025, |vx| >= 0.5


def test_ties_are_broken_by_the_random_stream():
    picks = {choose(np.array([1, 5, 0, 5, 5]), XorShift32(s * 2654435761 % 2**32)) for s in range(1, 40)}
    assert picks == {1, 3, 4}


def test_cycle_estimate_covers_the_learning_call_and_bad_parameters_are_named():
    cycles = host.estimate_cycles("pong")
    assert 4096 < cycles < 7000                          # rate counters read + reset: 2 x 256 omnibus accesses
    with pytest.raises(ParameterError, match="window.*1..255"):
        host.encode_parameters("pong", {"window": 0})
    with pytest.raises(ParameterError, match="rewards.*0..32767"):
        host.encode_parameters("pong", {"rewards": (-1, 0, 0, 0)})
