"""Encoding of CGP plasticity rules for the ``cgp`` kernel (Jordan et al. 2021, eLife 10:e66273).

A rule is a feed-forward list of at most 12 nodes ``(op, a, b)``, evaluated per synapse
in Q7.8 fixed point (int16, 256 = 1.0, saturating); the last node's value y changes the
weight by ``round(y / 4)`` LSB (y is the change of w / 64). Operands ``a``, ``b`` index
the six inputs (0..5, below) or earlier nodes (node j is value 6 + j). Ops:

========  ====  =======================================================
``add``   0     a + b
``sub``   1     a - b
``mul``   2     round(a * b / 256)   (Q7.8 product)
``shr``   3     floor(a / 2**b)      (b is the shift 0..15, not an operand)
``max``   4     max(a, b)
``min``   5     min(a, b)
``const`` 6     constants[a]         (a in 0..3, b unused)
========  ====  =======================================================

Inputs (scaled to [0, 1) where they are hardware readings): 0 ``causal`` (c / 256, CADC
LSB), 1 ``acausal``, 2 ``weight`` (w / 64), 3 ``reward`` (Q7.8 from the mailbox),
4 ``rate`` (rate counter / 256), 5 ``membrane`` (CADC sample / 256). The same encoding
is documented in C in ``kernels/cgp.h``; tests/test_ppu_layout.py checks they agree.

Example, the reward-driven champion of Jordan et al., dw ∝ E·(R − 1) with E the
causal correlation: ``[("const", 0, 0), ("sub", "reward", 6), ("mul", "causal", 7)]``
with ``constants=[256, 0, 0, 0]``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ParameterError

OPS: dict[str, int] = {"add": 0, "sub": 1, "mul": 2, "shr": 3, "max": 4, "min": 5, "const": 6}
INPUTS: tuple[str, ...] = ("causal", "acausal", "weight", "reward", "rate", "membrane")
MAX_NODES = 12
N_CONSTANTS = 4
MAX_SHIFT = 15
_OP_NAMES = {code: name for name, code in OPS.items()}


def _operand(value: int | str, node: int, role: str) -> int:
    if isinstance(value, str):
        if value not in INPUTS:
            raise ParameterError(f"CGP node {node}: unknown input '{value}' as operand {role}; "
                                 f"inputs are {', '.join(INPUTS)}")
        return INPUTS.index(value)
    return int(value)


def encode_nodes(nodes: Sequence) -> list[int]:
    """Validate a program and return its ``3 * MAX_NODES`` mailbox bytes (zero padded).

    ``nodes`` is a sequence of ``(op, a, b)``: ``op`` a name of :data:`OPS` or its code,
    ``a``/``b`` an input name of :data:`INPUTS` or a value index (inputs 0..5, node j at 6 + j).
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
        elif not 0 <= a < available:
            raise ParameterError(f"CGP node {j}: operand a = {a} must refer to an input (0..5) or an "
                                 f"earlier node (6..{available - 1})")
        if code == OPS["shr"]:
            if not 0 <= b <= MAX_SHIFT:
                raise ParameterError(f"CGP node {j}: shr shifts by 0..{MAX_SHIFT}, got {b}")
        elif code != OPS["const"] and not 0 <= b < available:
            raise ParameterError(f"CGP node {j}: operand b = {b} must refer to an input (0..5) or an "
                                 f"earlier node (6..{available - 1})")
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
    terms: list[str] = list(INPUTS)
    symbols = {"add": "+", "sub": "-", "mul": "*"}
    for op_code, a, b in np.asarray(flat).reshape(-1, 3)[:len(list(nodes))]:
        op = _OP_NAMES[int(op_code)]
        if op in symbols:
            terms.append(f"({terms[a]} {symbols[op]} {terms[b]})")
        elif op == "shr":
            terms.append(f"({terms[a]} >> {b})")
        elif op == "const":
            terms.append(f"{constants[a] / 256:g}")
        else:
            terms.append(f"{op}({terms[a]}, {terms[b]})")
    return terms[-1]
