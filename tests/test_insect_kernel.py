"""The insect_world PPU kernel on its own (host library, no emulator): body physics against
the floating-point equations of insect.world, the memory update and its synapse weights,
the compass/flow events, the homing turn, the fixed call length, parameter errors."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.insect import chip, world
from ppu_firmware import host
from ppu_firmware.errors import ParameterError

CPU4 = np.arange(16, 32)
CPU1 = np.arange(32, 48)
MEMORY = np.arange(48, 64)
COMPASS = np.arange(100, 116)
FLOW = np.array([200, 201])
MEMORY_LABEL = 300


def _state(**params) -> host.PPUState:
    base = dict(sample_every=1, memory_row=7, compass_labels=COMPASS, flow_labels=FLOW, memory_label=MEMORY_LABEL,
                cpu4_columns=CPU4, cpu1_columns=CPU1, memory_columns=MEMORY)
    return host.PPUState.for_kernel("insect_world", {**base, **params})


def _steps(state: host.PPUState, n: int, counts: np.ndarray | None = None) -> list[np.ndarray]:
    sent = []
    for _ in range(n):
        if counts is not None:
            state.rate_counters[:] = counts
        host.run_kernel("insect_world", state)
        sent.append(state.spikes_out())
        state.clear_spikes_out()
    return sent


def test_body_physics_matches_the_floating_point_equations():
    state = _state(outbound_steps=400, homing_steps=0)
    _steps(state, 400)
    d = host.decode_mailbox("insect_world", state.mailbox)
    headings = d["sample_heading"][:400] * 2 * np.pi / 65536
    kernel_xy = np.stack([d["sample_x"][:400], d["sample_y"][:400]], axis=1) / 16.0
    reference = world.path_from_headings(headings)
    err = np.abs(kernel_xy - reference).max()
    distance = np.linalg.norm(reference[-1])
    assert distance > 50                      # the route goes somewhere
    assert err < 0.1                          # Q4 samples, Q16 velocity, Q14 sine: ~1/16 of a step
    turns = world.wrap(np.diff(headings))
    assert 0.05 < turns.std() < 0.25          # filtered noise, sd 0.1 rad x 1/sqrt(1 - 0.4^2)


def _fundamental_update(c: np.ndarray, gain: int) -> np.ndarray:
    """The kernel's fixed-point memory change per step for counts ``c`` (16,): each side's
    first spatial Fourier component, Q12 cosines, in Q15 memory units."""
    cos = np.array([4096, 2896, 0, -2896, -4096, -2896, 0, 2896], np.int64)
    sin = np.roll(cos, 2)
    out = []
    for side in c.reshape(2, 8).astype(np.int64) * 8:
        re, im = (side * cos).sum() >> 6, (side * sin).sum() >> 6
        d = (re * cos + im * sin) >> 17
        out.append((gain * d) >> 6)
    return np.concatenate(out)


def test_memory_integrates_the_fundamental_of_the_counts_into_synapse_weights():
    state = _state(outbound_steps=10, homing_steps=0, memory_gain=100)
    counts = np.zeros(256, np.uint8)
    counts[CPU4[:8]] = [5, 3, 1, 0, 0, 0, 1, 3]
    counts[CPU4[8:]] = 2                       # right side flat: no change
    _steps(state, 10, counts)
    d = host.decode_mailbox("insect_world", state.mailbox)
    c = counts[CPU4].astype(int)
    expected = 10 * _fundamental_update(c, 100)
    np.testing.assert_array_equal(d["memory"], expected)
    # the same in floating point: gain x (2/8) sum_j c_j cos((k - j) pi / 4), the side's sinusoid
    k = np.arange(8)
    fundamental = 0.25 * (c[:8][None, :] * np.cos((k[:, None] - k[None, :]) * np.pi / 4)).sum(axis=1)
    np.testing.assert_allclose(d["memory"][:8], 10 * 100 * fundamental, rtol=0.02, atol=20)   # floors
    np.testing.assert_array_equal(d["memory"][8:], 0)
    # weights: read-out gain 4, 32 at an empty memory
    np.testing.assert_array_equal(state.weights[7, MEMORY], np.clip((4 * expected + 32768) >> 10, 0, 63))
    assert state.rate_counters.sum() == 0     # counters reset every call


def test_memory_is_blind_to_harmonics_and_the_read_out_saturates_before_the_memory():
    state = _state(outbound_steps=100, homing_steps=0, memory_gain=400)
    counts = np.zeros(256, np.uint8)
    counts[CPU4[:8]] = [4, 0, 4, 0, 4, 0, 4, 0]   # pure 4th harmonic: no home vector
    counts[CPU4[8:]] = [3, 1, 3, 1, 3, 1, 3, 1]
    _steps(state, 50, counts)
    np.testing.assert_array_equal(host.decode_mailbox("insect_world", state.mailbox)["memory"], 0)

    counts[CPU4[:8]] = [6, 5, 3, 1, 0, 1, 3, 5]   # a bump at column 0: 2.9 counts of fundamental
    _steps(state, 10, counts)
    m = host.decode_mailbox("insect_world", state.mailbox)["memory"][:8]
    assert 16384 > m[0] > 8192                      # a quarter to half of the range: the memory does not clip
    assert state.weights[7, MEMORY[0]] == 63 and state.weights[7, MEMORY[4]] == 0   # the read-out does


def test_compass_and_flow_events_follow_heading_and_velocity():
    state = _state(outbound_steps=50, homing_steps=0, compass_events=8, flow_events=8, memory_events=3)
    sent = _steps(state, 50)
    d = host.decode_mailbox("insect_world", state.mailbox)
    heading = d["sample_heading"][49] * 2 * np.pi / 65536
    labels = sent[-1]
    compass = np.array([(labels == lab).sum() for lab in COMPASS])
    pref = np.tile(np.arange(8) * np.pi / 4, 2)
    np.testing.assert_allclose(compass, np.round(8 * np.maximum(0, np.cos(heading - pref))), atol=1)
    v = np.array(d["velocity"], np.int64)
    v = np.where(v >= 2**31, v - 2**32, v) / 65536
    axes = heading + np.array([np.pi / 4, -np.pi / 4])
    flow = np.sin(axes) * v[0] + np.cos(axes) * v[1]
    assert [(labels == lab).sum() for lab in FLOW] == pytest.approx(np.round(8 * np.clip(flow, 0, 1)), abs=1)
    assert (labels == MEMORY_LABEL).sum() == 3


def test_homing_turn_follows_the_cpu1_count_difference_and_calls_have_fixed_length():
    state = _state(outbound_steps=0, homing_steps=20, turn_gain=300, compass_events=4)
    counts = np.zeros(256, np.uint8)
    counts[CPU1[:8]] = 2                       # left 16 spikes
    counts[CPU1[8:]] = 1                       # right 8 spikes
    cycles = []
    for _ in range(20):
        state.rate_counters[:] = counts
        cycles.append(host.run_kernel("insect_world", state))
        state.clear_spikes_out()
    d = host.decode_mailbox("insect_world", state.mailbox)
    np.testing.assert_array_equal(d["sample_heading"][:20], (np.arange(1, 21) * 8 * 300) % 65536)
    assert d["motor"] == 8
    assert len(set(cycles)) == 1               # padded to the event budget: data-independent
    assert cycles[0] == host.estimate_cycles("insect_world", {"outbound_steps": 0, "compass_events": 4})
    assert host.estimate_cycles("insect_world", {"compass_events": 4}) > cycles[0]   # outbound calls cost more
    assert host.run_kernel("insect_world", state) < 50 and d["step"] == 20   # journey over: idle


def test_closest_approach_is_tracked_while_homing():
    state = _state(outbound_steps=0, homing_steps=30, turn_gain=0)
    _steps(state, 30)
    d = host.decode_mailbox("insect_world", state.mailbox)
    xy = np.stack([d["sample_x"][:30], d["sample_y"][:30]], axis=1).astype(np.int64)
    assert d["closest"] == (xy ** 2).sum(axis=1).min()
    assert d["closest_step"] == 0
    v = np.array(d["velocity"], np.int64)
    speed = np.linalg.norm(np.where(v >= 2**31, v - 2**32, v)) / 65536
    assert speed == pytest.approx(0.85 * (1 - 0.85 ** 30), abs=1e-3)   # v_t = a (1 - d) / d (1 - (1 - d)^t)


@pytest.mark.parametrize("name, value", [("acceleration", 20000), ("drag", 100), ("turn_sd", 5000),
                                         ("compass_labels", 1 << 14)])
def test_out_of_range_parameters_are_refused(name, value):
    with pytest.raises(ParameterError, match=name):
        host.encode_parameters("insect_world", {name: value})


def test_frame_rotation_maps_compass_cpu4_columns_and_memory_synapses():
    """Compass sent as heading + f x 45 deg, physical CPU4 input j read as logical j - f' (f' the
    frame of the counts), logical memory k written to physical CPU4 k + f, per side."""
    state = _state(outbound_steps=40, homing_steps=0, turn_sd=0, turn_memory=0, frame_block=1, compass_events=8,
                   memory_gain=100)
    bump = np.array([5, 3, 1, 0, 0, 0, 1, 3])           # logical bump at column 0 (left), right side flat
    frames = chip.frame_schedule(32, 1)
    assert sorted(set(frames.tolist())) == list(range(8))
    seen = 0
    for t in range(32):
        counts = np.zeros(256, np.uint8)
        counts[CPU4[:8]] = np.roll(bump, seen)             # physical j = logical j - seen
        counts[CPU4[8:]] = 2
        state.rate_counters[:] = counts
        host.run_kernel("insect_world", state)
        labels = state.spikes_out()
        state.clear_spikes_out()
        compass = np.array([(labels == lab).sum() for lab in COMPASS])
        pref = np.tile(np.arange(8) * np.pi / 4, 2)
        np.testing.assert_array_equal(compass, np.round(8 * np.maximum(0, np.cos(frames[t] * np.pi / 4 - pref))))
        seen = frames[t]
        assert host.decode_mailbox("insect_world", state.mailbox)["frame"] == seen
    m = host.decode_mailbox("insect_world", state.mailbox)["memory"]
    expected = 32 * _fundamental_update(np.concatenate([bump, np.full(8, 2)]), 100)
    np.testing.assert_array_equal(m, expected)            # as if the frame had never moved
    k = np.arange(16)
    physical = (k & 8) | ((k + seen) & 7)
    np.testing.assert_array_equal(state.weights[7, MEMORY[physical]], np.clip((4 * expected + 32768) >> 10, 0, 63))


def test_the_step_after_a_frame_jump_repeats_the_last_settled_update():
    """TB1 lags a frame jump, so the counts of the step after one are not integrated: the kernel
    repeats the update of the step before."""
    state = _state(outbound_steps=20, homing_steps=0, memory_gain=100, frame_block=4)
    bump = np.array([5, 3, 1, 0, 0, 0, 1, 3])
    update = _fundamental_update(np.concatenate([bump, np.full(8, 2)]), 100)
    frames = chip.frame_schedule(8, 4)
    seen, settling = 0, []
    for t in range(8):
        counts = np.full(256, 2, np.uint8)
        counts[CPU4[:8]] = np.roll(bump, seen)
        if t == 5:
            counts[CPU4[:8]] = np.roll(bump, seen + 4)    # a half-turned bump: ignored if settling
        state.rate_counters[:] = counts
        settling.append(host.decode_mailbox("insect_world", state.mailbox)["settling"])
        host.run_kernel("insect_world", state)
        seen = frames[t]
    assert settling == [0, 0, 0, 0, 0, 1, 0, 0]             # frame 0 -> 1 at step 4: step 5 reads its counts
    np.testing.assert_array_equal(host.decode_mailbox("insect_world", state.mailbox)["memory"], 8 * update)


def test_frame_rotation_cancels_a_fixed_column_pattern():
    """A physical column's offset integrates into a false home vector without the rotation; over one
    cycle of 16 blocks it visits every logical column twice and its fundamental cancels."""
    counts = np.zeros(256, np.uint8)
    counts[CPU4] = 2
    counts[CPU4[0]] = 4                                   # +2 counts on physical column 0
    memory = {}
    for block in (0, 2):
        state = _state(outbound_steps=32, homing_steps=0, memory_gain=100, frame_block=block)
        _steps(state, 32, counts)
        memory[block] = host.decode_mailbox("insect_world", state.mailbox)["memory"]
    np.testing.assert_array_equal(memory[0], 32 * _fundamental_update(counts[CPU4], 100))
    assert memory[0][0] == 32 * 50                        # 2/8 x 2 counts x gain per step
    assert np.abs(memory[2]).max() <= 32                  # the floors of 32 steps, nothing systematic


def test_motor_offset_and_turn_bias_fly_circles():
    state = _state(outbound_steps=100, homing_steps=0, turn_sd=0, turn_memory=0, turn_bias=655)
    _steps(state, 100)
    d = host.decode_mailbox("insect_world", state.mailbox)
    turns = np.diff(d["sample_heading"][:100].astype(np.int64)) % 65536
    np.testing.assert_array_equal(turns, 655)        # a constant turn: one circle per 100 steps
    xy = np.stack([d["sample_x"][:100], d["sample_y"][:100]], axis=1) / 16.0
    reference = world.path_from_headings(d["sample_heading"][:100] * 2 * np.pi / 65536)
    assert np.abs(xy - reference).max() < 0.1
    assert np.ptp(xy[:, 0]) == pytest.approx(2 * 0.85 * 100 / (2 * np.pi), rel=0.1)   # circle of 27 steps

    state = _state(outbound_steps=0, homing_steps=5, turn_gain=100, motor_offset=8 * 4)
    counts = np.zeros(256, np.uint8)
    counts[CPU1[:4]] = 1                              # left - right = 4 = the offset: no turn
    _steps(state, 5, counts)
    assert host.decode_mailbox("insect_world", state.mailbox)["heading"] == 0
