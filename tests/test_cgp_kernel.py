"""The cgp kernel's teacher-student extension: target and psp inputs, div, eta_shift,
frozen columns; the C kernel against ppu_firmware.cgp.reference_update, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
from ppu_firmware._host import lib  # built at install time (pip install -e .)

from ppu_firmware import cgp
from ppu_firmware.host import PPUState, estimate_cycles, run_kernel


def random_extended_program(rng: np.random.Generator) -> list[tuple[str, int, int]]:
    nodes = []
    for j in range(int(rng.integers(1, cgp.MAX_NODES + 1))):
        op = str(rng.choice(list(cgp.OPS)))
        readable = list(range(len(cgp.INPUTS) + j)) + list(cgp.EXTRA_INPUTS.values())
        a = int(rng.integers(0, cgp.N_CONSTANTS)) if op == "const" else int(rng.choice(readable))
        b = int(rng.integers(0, cgp.MAX_SHIFT + 1)) if op == "shr" else int(rng.choice(readable))
        nodes.append((op, a, b))
    return nodes


def random_state(rng: np.random.Generator, params: dict) -> PPUState:
    return PPUState.for_kernel(
        "cgp", params, weights=rng.integers(0, 64, (256, 256)).astype(np.uint8),
        labels=rng.integers(0, 64, (256, 256)).astype(np.uint8),
        causal=rng.integers(0, 256, (256, 256)).astype(np.uint8),
        acausal=rng.integers(0, 256, (256, 256)).astype(np.uint8),
        rate_counters=rng.integers(0, 256, 256).astype(np.uint8), cadc=rng.integers(0, 256, 256).astype(np.uint8))


@pytest.mark.parametrize("seed", range(25))
def test_extended_programs_match_the_reference(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    params = {"nodes": random_extended_program(rng), "constants": rng.integers(-32768, 32768, 4),
              "rows": rng.choice(256, 8, replace=False), "eta_shift": int(rng.integers(0, cgp.MAX_ETA_SHIFT + 1)),
              "psp_column": int(rng.integers(256)), "frozen_columns": rng.choice(256, 100, replace=False),
              "target_column": rng.integers(0, 256, 256), "reward": int(rng.integers(-500, 500))}
    state = random_state(rng, params)
    ref = state.copy()
    for _ in range(2):
        run_kernel("cgp", state)
        cgp.reference_update(ref)
        for name in ("weights", "causal", "acausal", "corr_reset", "rate_counters", "mailbox"):
            np.testing.assert_array_equal(getattr(state, name), getattr(ref, name), err_msg=name)


def test_teacher_student_inputs_reach_the_right_synapses() -> None:
    """dw = (target - membrane) * psp / 4 on student columns 10..12 (teachers 0..2), psp read
    from column 200's causal sensor of each row; teacher and other columns stay frozen."""
    rng = np.random.default_rng(3)
    students, teachers = np.arange(10, 13), np.arange(3)
    target = np.zeros(256, int)
    target[students] = teachers
    frozen = np.setdiff1d(np.arange(256), students)
    params = {"nodes": [("sub", "target", "membrane"), ("mul", 6, "psp")], "rows": [4, 9], "psp_column": 200,
              "target_column": target, "frozen_columns": frozen, "eta_shift": 3}
    state = random_state(rng, params)
    state.weights[:] = 30
    state.cadc[teachers] = [120, 100, 80]
    state.cadc[students] = [100, 100, 100]
    state.causal[4, 200], state.causal[9, 200] = 128, 64
    run_kernel("cgp", state)
    # y = round(d * p / 256), dw = round(8 y / 4) = 2 y: d = +20, 0, -20 LSB; p = 128 (row 4), 64 (row 9)
    np.testing.assert_array_equal(state.weights[4, students], [30 + 20, 30, 30 - 20])
    np.testing.assert_array_equal(state.weights[9, students], [30 + 10, 30, 30 - 10])
    assert np.all(state.weights[:, frozen] == 30) and np.all(np.delete(state.weights, [4, 9], axis=0) == 30)


def test_c_header_constants_match_python() -> None:
    assert (lib.CGP_INPUT_TARGET, lib.CGP_INPUT_PSP) == (cgp.EXTRA_INPUTS["target"], cgp.EXTRA_INPUTS["psp"])
    assert lib.CGP_VALUES == len(cgp.INPUTS) + cgp.MAX_NODES + len(cgp.EXTRA_INPUTS)
    assert lib.CGP_MAX_ETA_SHIFT == cgp.MAX_ETA_SHIFT and lib.CGP_OP_DIV == cgp.OPS["div"]


def test_cost_grows_with_target_gather_and_divisions() -> None:
    """Reading target costs one scalar gather of 256 CADC samples (2 SRAM accesses each);
    a div node 64 lanes x CGP_DIV_CYCLES per half-row vector (no vector divide)."""
    base = estimate_cycles("cgp", {"nodes": [("sub", "membrane", "membrane")], "rows": [0]})
    with_target = estimate_cycles("cgp", {"nodes": [("sub", "target", "membrane")], "rows": [0]})
    with_div = estimate_cycles("cgp", {"nodes": [("div", "membrane", "membrane")], "rows": [0]})
    # per column: the index byte (CYC_SRAM = 2) + load and store of the sample (2 x 2); + 4 unpacks
    assert with_target - base == 256 * (2 + 4) + 4
    # 4 vectors of 64 lanes per row, each lane a scalar divide; the sub it replaces cost 1 per vector
    assert with_div - base == 4 * 64 * lib.CGP_DIV_CYCLES - 4
