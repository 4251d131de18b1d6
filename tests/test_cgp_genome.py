"""CGP genotype (bss2_experiments.cgp_rules.genome) and its round trip through the cgp kernel."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from bss2_experiments.cgp_rules import genome as G
from ppu_firmware import cgp
from ppu_firmware.host import PPUState, run_kernel

PARAMS = G.GenomeParams()
# (u_target - u) * psp: node 0 = sub(x0, x1), node 1 = mul(node 0, x2), output = node 1
DELTA_RULE = [1, 0, 1, 2, 3, 2] + [0, 0, 0] * 10 + [4]


def test_hand_genome_decodes_to_the_delta_rule() -> None:
    G.validate(DELTA_RULE, PARAMS)
    assert G.active_nodes(DELTA_RULE, PARAMS) == [0, 1]
    u_target, u, psp = sympy.symbols(G.INPUT_NAMES)
    assert sympy.simplify(G.to_sympy(DELTA_RULE, PARAMS) - (u_target - u) * psp) == 0
    assert G.to_program(DELTA_RULE, PARAMS) == (("sub", "target", "membrane"), ("mul", 6, "psp"))
    assert cgp.expression(G.to_program(DELTA_RULE, PARAMS)) == "((target - membrane) * psp)"


def test_output_wired_to_an_input_is_an_identity_node() -> None:
    genome = list(DELTA_RULE[:-1]) + [2]  # output = psp
    assert G.active_nodes(genome, PARAMS) == []
    assert G.to_program(genome, PARAMS) == (("max", "psp", "psp"),)
    assert str(G.to_sympy(genome, PARAMS)) == "psp"


def test_random_genomes_and_mutations_stay_valid() -> None:
    rng = np.random.default_rng(0)
    changed = []
    for _ in range(200):
        genome = G.random_genome(PARAMS, rng)
        G.validate(genome, PARAMS)
        child = G.mutate(list(genome), PARAMS, 0.045, rng)
        G.validate(child, PARAMS)
        changed.append(sum(a != b for a, b in zip(genome, child)))
    assert min(changed) >= 1
    assert 1.0 < np.mean(changed) < 4.0  # ~ 0.045 x 37 genes, at least one


def test_bad_genomes_and_parameters_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"gene 4 = 9 is not allowed"):
        G.validate(DELTA_RULE[:4] + [9] + DELTA_RULE[5:], PARAMS)
    with pytest.raises(ValueError, match=r"has 37 genes, got 36"):
        G.validate(DELTA_RULE[:-1], PARAMS)
    with pytest.raises(ValueError, match=r"at most 12 nodes"):
        G.GenomeParams(n_columns=13)
    with pytest.raises(ValueError, match=r"unknown primitives \['pow'\]"):
        G.GenomeParams(primitives=("add", "pow"))


def _kernel_dw(program, inputs: dict[str, np.ndarray], eta_shift: int) -> np.ndarray:
    """The weight change the C kernel makes on row 0 (weights start mid-range, not clipped)."""
    state = PPUState.for_kernel("cgp", {"nodes": list(program), "constants": G.CONSTANTS_Q8, "rows": [0],
                                        "eta_shift": eta_shift, "psp_column": 255,
                                        "target_column": np.r_[np.arange(128, 256), np.arange(128)],
                                        "frozen_columns": [255]})
    state.weights[0] = 32
    state.cadc[:128], state.cadc[128:] = inputs["membrane"][:128], inputs["target"][:128]
    state.causal[0, 255] = inputs["psp"]
    run_kernel("cgp", state)
    return state.weights[0, :128].astype(np.int64) - 32


def _value_of(genome, address: int, points: np.ndarray) -> np.ndarray:
    """Real value of an input or node address of ``genome`` at ``points`` (n, 3)."""
    expr = G.to_sympy(list(genome[:-1]) + [int(address)], PARAMS, simplify=False)
    f = sympy.lambdify(sympy.symbols(G.INPUT_NAMES), expr, "numpy")
    return np.broadcast_to(np.asarray(f(*points.T), float), len(points))


def test_random_genomes_round_trip_kernel_numpy_and_sympy() -> None:
    """genome -> program -> C kernel equals the fixed-point evaluation (ppu_firmware.cgp.evaluate)
    on hardware readings, and that equals the sympy expression wherever fixed point is exact
    (integer-valued inputs and nodes, no saturation)."""
    rng = np.random.default_rng(1)
    points = np.array([(a, b, c) for a in range(-3, 4) for b in range(-3, 4) for c in range(-3, 4)])
    exact_checked = 0
    for _ in range(60):
        genome = G.random_genome(PARAMS, rng)
        program = G.to_program(genome, PARAMS)
        # 1. C kernel vs NumPy fixed point on CADC-like readings (membranes and psp 0..255)
        readings = {"membrane": rng.integers(0, 256, 256), "target": rng.integers(0, 256, 256),
                    "psp": int(rng.integers(0, 256))}
        kernel = _kernel_dw(program, readings, eta_shift=0)
        numpy_dw = cgp.evaluate(program, {k: np.asarray(v)[:128] if k != "psp" else v for k, v in readings.items()},
                                G.CONSTANTS_Q8, eta_shift=0)
        expected = np.clip(32 + numpy_dw, 0, 63) - 32
        np.testing.assert_array_equal(kernel, expected)
        # 2. NumPy fixed point vs sympy at points where every node is an exact small integer
        q8 = {"target": points[:, 0] * 256, "membrane": points[:, 1] * 256, "psp": points[:, 2] * 256}
        fixed = cgp.evaluate(program, q8, G.CONSTANTS_Q8, eta_shift=2)  # 2^2 / 4 = 1: dw = y
        active = G.active_nodes(genome, PARAMS)
        with np.errstate(all="ignore"):
            value = _value_of(genome, genome[-1], points)
            nodes = np.array([_value_of(genome, PARAMS.n_inputs + n, points) for n in active]).reshape(-1, len(points))
            denominators = np.array([_value_of(genome, genome[3 * n + 2], points) for n in active
                                     if PARAMS.primitives[genome[3 * n]] == "div"]).reshape(-1, len(points))
        # sympy folds x / x to 1 where fixed point gives 0 / 0 = 0: compare away from zero denominators
        exact = np.all(np.isfinite(nodes) & (nodes == np.round(nodes)) & (np.abs(nodes) < 100), axis=0) \
            & np.all(denominators != 0, axis=0)
        np.testing.assert_array_equal(fixed[exact], (value[exact] * 256).astype(np.int64))
        exact_checked += int(exact.sum())
    assert exact_checked > 2000


def test_division_by_zero_and_overflow_have_defined_results() -> None:
    """u / (u - u): psp > 0 saturates to +32767 (weights to 63), 0 / 0 = 0 (weights kept);
    ((u*u)*(u*u))... on big values saturates instead of wrapping; the kernel never traps."""
    divide = [("sub", "membrane", "membrane"), ("div", "psp", 6)]
    for psp, expected in ((200, 31), (0, 0)):
        dw = _kernel_dw(divide, {"membrane": np.full(256, 100), "target": np.full(256, 100), "psp": psp}, 0)
        assert np.all(dw == expected)
    np.testing.assert_array_equal(cgp.div_q8(np.array([5, -5, 0, 32767, -32768]), np.array([0, 0, 0, 1, 1])),
                                  [32767, -32768, 0, 32767, -32768])
    overflow = [("div", "target", "psp"), ("mul", 6, 6), ("mul", 7, 7), ("sub", "membrane", 8)]
    dw = _kernel_dw(overflow, {"membrane": np.zeros(256, int), "target": np.full(256, 255), "psp": 1}, 0)
    assert np.all(dw == -32)  # 255*256 saturates at 32767, squares stay at 32767, 0 - 32767 -> weight 0
