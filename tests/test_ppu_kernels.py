"""Every C kernel against the NumPy reference of its fixed-point rule, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from ppu_firmware import cgp, reference
from ppu_firmware._host import lib
from ppu_firmware.host import PPUState, decode_mailbox, encode_parameters, estimate_cycles, run_kernel
from ppu_firmware.parameters import to_fixed


def random_state(rng: np.random.Generator, kernel: str, params: dict) -> PPUState:
    return PPUState(
        weights=rng.integers(0, 64, (256, 256), dtype=np.uint8),
        labels=rng.integers(0, 64, (256, 256), dtype=np.uint8),
        causal=rng.integers(0, 256, (256, 256), dtype=np.uint8),
        acausal=rng.integers(0, 256, (256, 256), dtype=np.uint8),
        rate_counters=rng.integers(0, 60, 256, dtype=np.uint8),
        cadc=rng.integers(0, 256, 256, dtype=np.uint8),
        mailbox=encode_parameters(kernel, params),
        rng_state=int(rng.integers(0, 2**32)),
    )


def new_observations(rng: np.random.Generator, state: PPUState) -> None:
    """What the emulator does between calls: fresh sensor readings."""
    state.causal[:] = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    state.acausal[:] = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    state.rate_counters[:] = rng.integers(0, 60, 256, dtype=np.uint8)
    state.cadc[:] = rng.integers(0, 256, 256, dtype=np.uint8)


def assert_same(c: PPUState, ref: PPUState) -> None:
    for name in ("weights", "labels", "causal", "acausal", "corr_reset", "rate_counters", "mailbox"):
        np.testing.assert_array_equal(getattr(c, name), getattr(ref, name), err_msg=name)
    assert c.rng_state == ref.rng_state


def random_rows(rng: np.random.Generator) -> np.ndarray:
    return np.flatnonzero(rng.random(256) < 0.6)


def params_for(kernel: str, rng: np.random.Generator) -> dict:
    offsets = {"causal_offset": rng.integers(0, 40, 256), "acausal_offset": rng.integers(0, 40, 256)}
    if kernel == "stdp":
        return {"factor": int(rng.integers(-128, 128)), "rows": random_rows(rng), **offsets}
    if kernel == "rstdp":
        return {"eta": to_fixed(0.125, 15), "reward": int(rng.integers(0, 16385)), "state": int(rng.integers(0, 64)),
                "mean_shift": int(rng.integers(0, 4)), "rows": random_rows(rng),
                "expected_reward": rng.integers(-16384, 16385, 64), "causal_offset": offsets["causal_offset"]}
    if kernel == "homeostasis":
        return {"target": int(rng.integers(0, 60)), "step": int(rng.integers(1, 5)), "rows": random_rows(rng)}
    if kernel == "structural":
        return {"factor": int(rng.integers(0, 64)), "target": 30, "step": 1, "noise": int(rng.integers(0, 8)),
                "prune_threshold": int(rng.integers(5, 30)), "prune_period": 2, "label_count": 48,
                "initial_weight": 20, "rows": random_rows(rng), **offsets}
    if kernel == "cgp":
        # dw = max((causal - acausal) * reward >> 1, c1) + weight * c2 / 256 ... a rule using every op
        nodes = [("sub", "causal", "acausal"), ("mul", 6, "reward"), ("shr", 7, 1), ("const", 1, 0),
                 ("max", 8, 9), ("mul", "weight", "rate"), ("min", 11, "membrane"), ("add", 10, 12)]
        return {"nodes": nodes, "reward": int(rng.integers(-512, 512)), "rows": random_rows(rng),
                "constants": [256, int(rng.integers(-100, 0)), 0, 0]}
    raise AssertionError(kernel)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kernel", ["stdp", "rstdp", "homeostasis", "structural", "cgp"])
def test_kernel_matches_reference_over_several_calls(kernel: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    state = random_state(rng, kernel, params_for(kernel, rng))
    ref = state.copy()
    before = state.weights.copy()
    for _ in range(3):
        new_observations(rng, state)
        ref.causal[:], ref.acausal[:] = state.causal, state.acausal
        ref.rate_counters[:], ref.cadc[:] = state.rate_counters, state.cadc
        cycles = run_kernel(kernel, state)
        reference.REFERENCES[kernel](ref)
        assert cycles > 0
        assert_same(state, ref)
    assert (state.weights != before).mean() > 0.1, "the rule should change many weights"
    assert state.weights.max() <= 63 and state.labels.max() <= 63


def test_stdp_saturates_and_clamps_weights() -> None:
    state = PPUState.for_kernel("stdp", {"factor": 127})
    state.weights[:] = 60
    state.causal[:] = 255
    run_kernel("stdp", state)
    assert (state.weights == 63).all()
    state = PPUState.for_kernel("stdp", {"factor": 127})
    state.weights[:] = 3
    state.acausal[:] = 255
    run_kernel("stdp", state)
    assert (state.weights == 0).all()


def test_stdp_only_touches_selected_rows_and_resets_them() -> None:
    rng = np.random.default_rng(5)
    state = random_state(rng, "stdp", {"factor": 100, "rows": [3, 200]})
    untouched = np.setdiff1d(np.arange(256), [3, 200])
    weights, causal = state.weights.copy(), state.causal.copy()
    run_kernel("stdp", state)
    np.testing.assert_array_equal(state.weights[untouched], weights[untouched])
    np.testing.assert_array_equal(state.causal[untouched], causal[untouched])
    assert state.corr_reset.tolist() == [1 if r in (3, 200) else 0 for r in range(256)]
    assert (state.causal[[3, 200]] == 0).all()


def test_rstdp_follows_wunderlich_running_mean() -> None:
    """R = 0.7, Rbar_k = 0.1, mean_shift = 1: Rbar_k -> 0.4 and dw = round(eta (R - Rbar) corr)."""
    state = PPUState.for_kernel("rstdp", {"eta": to_fixed(0.125, 15), "reward": to_fixed(0.7, 14), "state": 7,
                                          "expected_reward": [to_fixed(0.1, 14) if k == 7 else 0 for k in range(64)]})
    state.weights[:] = 10
    state.causal[:, :3] = [[0, 40, 200]]
    run_kernel("rstdp", state)
    rbar = decode_mailbox("rstdp", state.mailbox)["expected_reward"][7] / 2**14
    assert rbar == pytest.approx(0.4, abs=1e-3)
    # eta (R - Rbar) = 0.075 -> 40 * 0.075 = 3, 200 * 0.075 = 15
    assert state.weights[0, :4].tolist() == [10, 13, 25, 10]


def test_homeostasis_moves_weights_towards_target_rate() -> None:
    state = PPUState.for_kernel("homeostasis", {"target": 10, "step": 2})
    state.weights[:] = 30
    state.rate_counters[:3] = [0, 10, 50]
    run_kernel("homeostasis", state)
    assert state.weights[:, 0].tolist() == [32] * 256
    assert state.weights[:, 1].tolist() == [30] * 256
    assert state.weights[:, 2].tolist() == [28] * 256
    assert (state.rate_counters == 0).all()


def test_structural_keeps_fan_in_over_many_pruning_steps() -> None:
    rng = np.random.default_rng(3)
    label_count = 40
    params = {"factor": 40, "target": 20, "step": 1, "noise": 4, "prune_threshold": 12, "prune_period": 1,
              "label_count": label_count, "initial_weight": 16}
    state = random_state(rng, "structural", params)
    state.labels[:] = rng.integers(0, 64, (256, 256))  # labels >= 40: unconnected
    fan_in = (state.labels < label_count).sum(axis=0)
    unconnected = state.labels >= label_count
    labels0 = state.labels.copy()
    for _ in range(30):
        new_observations(rng, state)
        run_kernel("structural", state)
        np.testing.assert_array_equal((state.labels < label_count).sum(axis=0), fan_in)
        assert state.labels.max() <= 63 and state.weights.max() <= 63
    np.testing.assert_array_equal(state.labels[unconnected], labels0[unconnected])
    out = decode_mailbox("structural", state.mailbox)
    assert out["calls"] == 30
    assert out["pruned"] > 1000, "random correlations should push many synapses below threshold"
    assert (state.labels[~unconnected] != labels0[~unconnected]).mean() > 0.3


def test_structural_prunes_only_on_its_period() -> None:
    rng = np.random.default_rng(4)
    state = random_state(rng, "structural", {"prune_period": 3, "prune_threshold": 40, "label_count": 64})
    labels0 = state.labels.copy()
    cycles = []
    for call in range(1, 4):
        new_observations(rng, state)
        cycles.append(run_kernel("structural", state))
        assert (state.labels == labels0).all() == (call < 3)
    assert cycles[0] == cycles[1] < cycles[2]


def test_cgp_reward_champion_of_jordan_et_al() -> None:
    """dw ∝ E (R - 1): with R = 0 the weights fall by causal/256 * 64 / 4 LSB... i.e. c/16."""
    nodes = [("const", 0, 0), ("sub", "reward", 6), ("mul", "causal", 7)]
    assert cgp.expression(nodes, [256, 0, 0, 0]) == "(causal * (reward - 1))"
    state = PPUState.for_kernel("cgp", {"nodes": nodes, "reward": 0})
    state.weights[:] = 40
    state.causal[0, :4] = [0, 16, 160, 255]
    run_kernel("cgp", state)
    # y = -c (Q7.8, c/256), dw = round(y / 4)
    assert state.weights[0, :4].tolist() == [40, 36, 0, 0]
    state = PPUState.for_kernel("cgp", {"nodes": nodes, "reward": 512})  # R = 2: +c/4
    state.weights[:] = 40
    state.causal[0, :4] = [0, 16, 160, 255]
    run_kernel("cgp", state)
    assert state.weights[0, :4].tolist() == [40, 44, 63, 63]


def test_stdp_cycles_follow_the_documented_cost_table() -> None:
    """Cost of STDP from include/ppu/time.h, counted by hand from kernels/stdp.c."""
    alu, io, sram = lib.CYC_VEC_ALU, lib.CYC_VEC_IO, lib.CYC_SRAM
    setup = sram + (alu + sram) + 2 * 2 * (lib.CYC_VEC_SRAM + alu)  # reset flag, factor, offsets
    per_half = 6 * alu + io + alu + 4 * alu + io  # STDP term, load, add, clamp, store
    per_row = sram + (lib.CYC_CADC_CONVERSION + 4 * io) + 2 * io + 2 * per_half
    assert run_kernel("stdp", PPUState.for_kernel("stdp")) == setup + 256 * per_row
    assert run_kernel("stdp", PPUState.for_kernel("stdp", {"rows": range(100)})) == (
        setup + 100 * per_row + 156 * sram)
    assert per_row == 199  # ~0.8 us per row at 250 MHz


def test_estimate_is_the_longest_call() -> None:
    params = {"prune_period": 5, "rows": range(64)}
    state = PPUState.for_kernel("structural", params)
    cycles = [run_kernel("structural", state) for _ in range(5)]
    assert estimate_cycles("structural", params) == max(cycles) == cycles[4] > cycles[0]


def random_program(rng: np.random.Generator) -> list[tuple[str, int, int]]:
    nodes = []
    for j in range(int(rng.integers(1, cgp.MAX_NODES + 1))):
        op = str(rng.choice(list(cgp.OPS)))
        a = int(rng.integers(0, cgp.N_CONSTANTS if op == "const" else len(cgp.INPUTS) + j))
        b = int(rng.integers(0, cgp.MAX_SHIFT + 1 if op == "shr" else len(cgp.INPUTS) + j))
        nodes.append((op, a, b))
    return nodes


@pytest.mark.parametrize("seed", range(20))
def test_random_cgp_programs_match_reference(seed: int) -> None:
    """Random programs with full-range constants and rewards exercise every op's saturation."""
    rng = np.random.default_rng(100 + seed)
    params = {"nodes": random_program(rng), "reward": int(rng.integers(-32768, 32768)),
              "constants": rng.integers(-32768, 32768, 4), "rows": rng.choice(256, 8, replace=False)}
    state = random_state(rng, "cgp", params)
    ref = state.copy()
    run_kernel("cgp", state)
    reference.cgp(ref)
    assert_same(state, ref)


@pytest.mark.parametrize("reward, expected", [(-32768, 32767), (32767, -32768), (16384, 0)])
def test_rstdp_saturating_extremes_match_reference(reward: int, expected: int) -> None:
    rng = np.random.default_rng(7)
    params = {"eta": 32767, "reward": reward, "state": 3, "mean_shift": 0,
              "expected_reward": np.full(64, expected), "rows": range(0, 256, 16)}
    state = random_state(rng, "rstdp", params)
    ref = state.copy()
    run_kernel("rstdp", state)
    reference.rstdp(ref)
    assert_same(state, ref)


def test_cgp_kernel_survives_a_corrupt_program_like_the_reference() -> None:
    """A mailbox written without encode_parameters: unknown op, forward and out-of-range operands."""
    rng = np.random.default_rng(11)
    state = random_state(rng, "cgp", {"rows": [0, 1, 2]})
    state.mailbox[0] = 12
    state.mailbox[0x30:0x30 + 36] = [9, 0, 0, 0, 200, 1, 1, 7, 30, 3, 250, 99, 6, 77, 0, 2, 10, 13] + [0] * 18
    ref = state.copy()
    run_kernel("cgp", state)
    reference.cgp(ref)
    assert_same(state, ref)
