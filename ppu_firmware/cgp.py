"""Encoding of CGP plasticity rules for the ``cgp`` kernel (Jordan et al. 2021, eLife 10:e66273).

A rule is a feed-forward list of at most 12 nodes ``(op, a, b)``, evaluated per synapse
in Q7.8 fixed point (int16, 256 = 1.0, saturating); the last node's value y changes the
weight by ``round(2**eta_shift * y / 4)`` LSB (y is the change of w / 64 at the default
``eta_shift`` 0). Operands ``a``, ``b`` index the six inputs (0..5, below),
earlier nodes (node j is value 6 + j) or the two teacher-student inputs 18 and 19. Ops:

========  ====  =======================================================
``add``   0     a + b
``sub``   1     a - b
``mul``   2     round(a * b / 256)   (Q7.8 product)
``shr``   3     floor(a / 2**b)      (b is the shift 0..15, not an operand)
``max``   4     max(a, b)
``min``   5     min(a, b)
``const`` 6     constants[a]         (a in 0..3, b unused)
``div``   7     floor(a * 256 / b)   (saturated; b = 0: +32767, -32768 or 0 by the sign of a)
========  ====  =======================================================

Inputs (scaled to [0, 1) where they are hardware readings): 0 ``causal`` (c / 256, CADC
LSB), 1 ``acausal``, 2 ``weight`` (w / 64), 3 ``reward`` (Q7.8 from the mailbox),
4 ``rate`` (rate counter / 256), 5 ``membrane`` (CADC sample / 256); 18 ``target``
(CADC sample of the column's ``target_column`` / 256: the teacher's membrane u_target)
and 19 ``psp`` (the causal reading of ``psp_column`` / 256: a regularly spiking
neuron's causal sensor samples the row's presynaptic trace at each of its spikes, so its
reading is the trace integrated over the kernel period). The same encoding
is documented in C in ``kernels/cgp.h``; tests/test_ppu_layout.py checks they agree.

Example, the reward-driven champion of Jordan et al., dw ∝ E·(R − 1) with E the
causal correlation: ``[("const", 0, 0), ("sub", "reward", 6), ("mul", "causal", 7)]``
with ``constants=[256, 0, 0, 0]``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ParameterError

OPS: dict[str, int] = {"add": 0, "sub": 1, "mul": 2, "shr": 3, "max": 4, "min": 5, "const": 6, "div": 7}
INPUTS: tuple[str, ...] = ("causal", "acausal", "weight", "reward", "rate", "membrane")
MAX_NODES = 12
EXTRA_INPUTS: dict[str, int] = {"target": len(INPUTS) + MAX_NODES, "psp": len(INPUTS) + MAX_NODES + 1}
"""Inputs after the last node's value: the target column's membrane and the row's presynaptic trace."""
MAX_ETA_SHIFT = 8
N_CONSTANTS = 4
MAX_SHIFT = 15
_OP_NAMES = {code: name for name, code in OPS.items()}


def _operand(value: int | str, node: int, role: str) -> int:
    if isinstance(value, str):
        if value in EXTRA_INPUTS:
            return EXTRA_INPUTS[value]
        if value not in INPUTS:
            raise ParameterError(f"CGP node {node}: unknown input '{value}' as operand {role}; "
                                 f"inputs are {', '.join(INPUTS + tuple(EXTRA_INPUTS))}")
        return INPUTS.index(value)
    return int(value)


def _readable(index: int, available: int) -> bool:
    return 0 <= index < available or index in EXTRA_INPUTS.values()


def encode_nodes(nodes: Sequence) -> list[int]:
    """Validate a program and return its ``3 * MAX_NODES`` mailbox bytes (zero padded).

    ``nodes`` is a sequence of ``(op, a, b)``: ``op`` a name of :data:`OPS` or its code,
    ``a``/``b`` an input name of :data:`INPUTS` / :data:`EXTRA_INPUTS` or a value index
    (inputs 0..5, node j at 6 + j, target 18, psp 19).
    """
    nodes = list(nodes)
    if not 1 <= len(nodes) <= MAX_NODES:
        raise ParameterError(f"a CGP program has 1..{MAX_NODES} nodes, got {len(nodes)}")
    flat: list[int] = []
    for j, node in enumerate(nodes):
        if len(node) != 3:
            raise ParameterError(f"CGP node {j} must be (op, a, b), got {node!r}")
        op, a, b = node
        code = OPS.get(op) if isinstance(op, str) else int(op)
        if code not in _OP_NAMES:
            raise ParameterError(f"CGP node {j}: unknown op {op!r}; ops are "
                                 + ", ".join(f"{n} ({c})" for n, c in OPS.items()))
        a, b = _operand(a, j, "a"), _operand(b, j, "b")
        available = len(INPUTS) + j
        if code == OPS["const"]:
            if not 0 <= a < N_CONSTANTS:
                raise ParameterError(f"CGP node {j}: const selects constant 0..{N_CONSTANTS - 1}, got {a}")
            b = 0
        elif not _readable(a, available):
            raise ParameterError(f"CGP node {j}: operand a = {a} must refer to an input (0..5) or an "
                                 f"earlier node (6..{available - 1}) or target (18) / psp (19)")
        if code == OPS["shr"]:
            if not 0 <= b <= MAX_SHIFT:
                raise ParameterError(f"CGP node {j}: shr shifts by 0..{MAX_SHIFT}, got {b}")
        elif code != OPS["const"] and not _readable(b, available):
            raise ParameterError(f"CGP node {j}: operand b = {b} must refer to an input (0..5) or an "
                                 f"earlier node (6..{available - 1}) or target (18) / psp (19)")
        flat += [code, a, b]
    return flat + [0] * (3 * MAX_NODES - len(flat))


def decode_nodes(raw: Sequence[int], n_nodes: int) -> list[tuple[str, int, int]]:
    """The first ``n_nodes`` nodes of mailbox bytes as ``(op name, a, b)``."""
    raw = np.asarray(raw, dtype=np.int64).reshape(-1, 3)[:n_nodes]
    return [(_OP_NAMES.get(int(op), f"op{int(op)}"), int(a), int(b)) for op, a, b in raw]


def expression(nodes: Sequence, constants: Sequence[int] = (0,) * N_CONSTANTS) -> str:
    """The program as a formula over the input names, e.g. ``max((causal - acausal), c1)``.
    Constants print as their real value (Q7.8 / 256)."""
    flat = encode_nodes(nodes)
    terms: dict[int, str] = {**dict(enumerate(INPUTS)), **{i: name for name, i in EXTRA_INPUTS.items()}}
    symbols = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
    n = len(list(nodes))
    for j, (op_code, a, b) in enumerate(np.asarray(flat).reshape(-1, 3)[:n]):
        op = _OP_NAMES[int(op_code)]
        if op in symbols:
            term = f"({terms[a]} {symbols[op]} {terms[b]})"
        elif op == "shr":
            term = f"({terms[a]} >> {b})"
        elif op == "const":
            term = f"{constants[a] / 256:g}"
        else:
            term = f"{op}({terms[a]}, {terms[b]})"
        terms[len(INPUTS) + j] = term
    return terms[len(INPUTS) + n - 1]


def div_q8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ``div`` op on int64 arrays: ``floor(a * 256 / b)`` clipped to int16; ``b = 0``
    gives the limit by the sign of ``a`` (32767, -32768, or 0 for 0 / 0)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    limit = np.where(a > 0, 32767, np.where(a < 0, -32768, 0))
    q = np.floor_divide(a * 256, np.where(b == 0, 1, b))
    return np.where(b == 0, limit, np.clip(q, -32768, 32767))


def evaluate(nodes: Sequence, inputs: dict[str, np.ndarray], constants: Sequence[int] = (0,) * N_CONSTANTS,
             eta_shift: int = 0) -> np.ndarray:
    """The weight change (LSB, before clipping the weight) that the kernel computes from
    ``inputs`` (Q7.8 integers by name, broadcast together; missing ones are 0): NumPy, in
    the kernel's fixed point, for tests and host-side analysis."""
    raw = np.asarray(encode_nodes(nodes)).reshape(-1, 3)[:len(list(nodes))]
    shape = np.broadcast_shapes(*(np.shape(v) for v in inputs.values()))
    return _evaluate_raw(raw, {_operand(k, 0, "input"): v for k, v in inputs.items()}, constants, eta_shift, shape)


def _evaluate_raw(raw: np.ndarray, inputs: dict[int, np.ndarray], constants: Sequence[int], eta_shift: int,
                  shape: tuple[int, ...]) -> np.ndarray:
    """Mailbox nodes ``raw`` (n, 3), validated or not, on inputs by value index: unknown ops
    and operands that are not yet computed read 0, as in the kernel."""
    zero = np.zeros(shape, np.int64)
    values = {i: np.broadcast_to(np.asarray(v, np.int64), shape) for i, v in inputs.items()}
    for j, (op, a, b) in enumerate(np.asarray(raw, np.int64)):
        available = len(INPUTS) + j
        x = values.get(int(a), zero) if _readable(int(a), available) else zero
        y = values.get(int(b), zero) if _readable(int(b), available) else zero
        values[available] = {
            0: lambda: np.clip(x + y, -32768, 32767), 1: lambda: np.clip(x - y, -32768, 32767),
            2: lambda: np.clip((x * y + 128) >> 8, -32768, 32767), 3: lambda: x >> (int(b) & 15),
            4: lambda: np.maximum(x, y), 5: lambda: np.minimum(x, y),
            6: lambda: np.full(shape, int(constants[int(a) % N_CONSTANTS]), np.int64), 7: lambda: div_q8(x, y),
        }.get(int(op), lambda: zero)()
    y = values[len(INPUTS) + len(raw) - 1]
    return np.clip((y * 2 ** min(int(eta_shift), MAX_ETA_SHIFT) + 2) >> 2, -32768, 32767)


def reference_update(state) -> None:
    """One call of the ``cgp`` kernel on a :class:`ppu_firmware.host.PPUState`, in NumPy
    from the documented semantics (cgp.h): the reference the C kernel is tested against."""
    from .registry import decode_mailbox
    p = decode_mailbox("cgp", state.mailbox)
    rows, n_nodes = p["rows"], min(p["n_nodes"], MAX_NODES)
    w = state.weights[rows].astype(np.int64)
    membrane = state.cadc.astype(np.int64)
    inputs = {"causal": state.causal[rows], "acausal": state.acausal[rows], "weight": w * 4,
              "reward": p["reward"], "rate": state.rate_counters, "membrane": membrane,
              "target": membrane[p["target_column"]],
              "psp": state.causal[rows, p["psp_column"]].astype(np.int64)[:, None]}
    raw = p["nodes"].reshape(-1, 3)[:n_nodes]
    dw = _evaluate_raw(raw, {_operand(k, 0, "input"): v for k, v in inputs.items()}, p["constants"], p["eta_shift"],
                       w.shape) if n_nodes else np.zeros(w.shape, np.int64)
    updated = ~np.isin(np.arange(256), p["frozen_columns"])
    state.weights[rows] = np.where(updated, np.clip(np.clip(w + dw, -32768, 32767), 0, 63), w)
    if p["reset"]:
        state.rate_counters[:] = 0
        state.causal[rows] = 0
        state.acausal[rows] = 0
        state.corr_reset[rows] = 1
