"""The CGP genotype: integer genome, point mutation, active-node decoding, export to sympy
and to the ``cgp`` kernel's program.

Cartesian genetic programming (Miller 2011) as in hal-cgp 0.3 (Schmidt & Jordan) and
Jordan et al. 2021 (eLife 10:e66273): ``n_columns`` x ``n_rows`` nodes, each three genes
``(function, input 0, input 1)``, then one output gene. An input gene addresses a program
input (``0 .. n_inputs - 1``) or a node ``n_inputs + k`` in one of the ``levels_back``
columns before the node's own. Parameter names follow hal-cgp's ``genome_params``.
The evolutionary loop (DEAP) lives in :mod:`.evolution`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from ppu_firmware import cgp as kernel_cgp

ARITY = {"add": 2, "sub": 2, "mul": 2, "div": 2, "const": 0}
"""Primitives (hal-cgp's Add, Sub, Mul, Div, ConstantFloat(1.0)) and their arity."""
INPUT_NAMES = ("u_target", "u", "psp")
"""Jordan et al.'s x_0, x_1, x_2: teacher (target) membrane, student membrane, presynaptic trace."""
KERNEL_INPUTS = {"u_target": "target", "u": "membrane", "psp": "psp"}
"""Where the kernel finds each input (``ppu_firmware.cgp``)."""
CONSTANTS_Q8 = (256, 0, 0, 0)
"""The kernel's constants: ``const`` nodes read constant 0 = 1.0 (Q7.8)."""


@dataclass(frozen=True)
class GenomeParams:
    """hal-cgp's ``genome_params``; defaults of Jordan et al.'s error-driven task."""

    n_inputs: int = 3
    n_outputs: int = 1
    n_columns: int = 12
    n_rows: int = 1
    levels_back: int = 12
    primitives: tuple[str, ...] = ("add", "sub", "mul", "div", "const")

    def __post_init__(self) -> None:
        unknown = [p for p in self.primitives if p not in ARITY]
        if unknown:
            raise ValueError(f"unknown primitives {unknown}; available: {', '.join(ARITY)}")
        if self.n_outputs != 1:
            raise ValueError("a plasticity rule has one output (dw): n_outputs must be 1")
        if self.n_inputs != len(INPUT_NAMES):
            raise ValueError(f"the rule's inputs are {', '.join(INPUT_NAMES)}: n_inputs must be {len(INPUT_NAMES)}")
        if self.n_columns * self.n_rows > kernel_cgp.MAX_NODES:
            raise ValueError(f"the kernel evaluates at most {kernel_cgp.MAX_NODES} nodes: n_columns x n_rows = "
                             f"{self.n_columns * self.n_rows} is too many")
        if self.n_columns < 1 or self.n_rows < 1 or self.levels_back < 1:
            raise ValueError("n_columns, n_rows and levels_back must be at least 1")

    @property
    def n_nodes(self) -> int:
        return self.n_columns * self.n_rows

    @property
    def n_genes(self) -> int:
        return 3 * self.n_nodes + 1

    def allowed(self, gene: int) -> np.ndarray:
        """The values gene ``gene`` may take."""
        if gene == 3 * self.n_nodes:  # output: any input or node
            return np.arange(self.n_inputs + self.n_nodes)
        node, slot = divmod(gene, 3)
        if slot == 0:
            return np.arange(len(self.primitives))
        column = node // self.n_rows
        first = max(0, column - self.levels_back) * self.n_rows
        return np.concatenate([np.arange(self.n_inputs), self.n_inputs + np.arange(first, column * self.n_rows)])


def random_genome(params: GenomeParams, rng: np.random.Generator) -> list[int]:
    """Every gene uniform over its allowed values."""
    return [int(rng.choice(params.allowed(g))) for g in range(params.n_genes)]


def validate(genome: Sequence[int], params: GenomeParams) -> None:
    """Raise ValueError naming the first gene outside its allowed values."""
    if len(genome) != params.n_genes:
        raise ValueError(f"a genome of {params} has {params.n_genes} genes, got {len(genome)}")
    for g, value in enumerate(genome):
        if int(value) not in params.allowed(g):
            raise ValueError(f"gene {g} = {value} is not allowed (allowed: {params.allowed(g).tolist()})")


def mutate(genome: list[int], params: GenomeParams, mutation_rate: float, rng: np.random.Generator) -> list[int]:
    """Point mutation in place: each gene, with probability ``mutation_rate``, takes another
    allowed value; repeated until at least one gene changed. Returns ``genome``."""
    changed = False
    while not changed:
        for g in np.flatnonzero(rng.random(params.n_genes) < mutation_rate):
            options = params.allowed(int(g))
            options = options[options != genome[g]]
            if options.size:
                genome[g] = int(rng.choice(options))
                changed = True
    return genome


def active_nodes(genome: Sequence[int], params: GenomeParams) -> list[int]:
    """Indices of the nodes the output depends on, ascending."""
    active: set[int] = set()
    stack = [int(genome[-1])]
    while stack:
        address = stack.pop()
        if address < params.n_inputs or (address - params.n_inputs) in active:
            continue
        node = address - params.n_inputs
        active.add(node)
        arity = ARITY[params.primitives[genome[3 * node]]]
        stack.extend(int(genome[3 * node + 1 + i]) for i in range(arity))
    return sorted(active)


def to_program(genome: Sequence[int], params: GenomeParams) -> tuple[tuple[str, int | str, int | str], ...]:
    """The kernel program (``ppu_firmware.cgp`` nodes) of the active nodes; an output wired
    straight to an input becomes ``max(x, x)``. Genomes with the same active graph give equal
    programs (the cache key), whatever their inactive genes."""
    nodes = active_nodes(genome, params)
    value_of = {i: KERNEL_INPUTS[name] for i, name in enumerate(INPUT_NAMES)}
    program: list[tuple[str, int | str, int | str]] = []
    for node in nodes:
        op = params.primitives[genome[3 * node]]
        if op == "const":
            program.append(("const", 0, 0))
        else:
            program.append((op, value_of[genome[3 * node + 1]], value_of[genome[3 * node + 2]]))
        value_of[params.n_inputs + node] = len(kernel_cgp.INPUTS) + len(program) - 1
    if not program:
        x = value_of[int(genome[-1])]
        program.append(("max", x, x))
    return tuple(program)


def to_sympy(genome: Sequence[int], params: GenomeParams, simplify: bool = True) -> sympy.Expr:
    """The rule f(u_target, u, psp) as a sympy expression (real arithmetic; the kernel
    computes it in Q7.8 fixed point)."""
    symbols = sympy.symbols(INPUT_NAMES)
    value: dict[int, sympy.Expr] = dict(enumerate(symbols))
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b}
    for node in active_nodes(genome, params):
        op = params.primitives[genome[3 * node]]
        if op == "const":
            value[params.n_inputs + node] = sympy.Integer(1)
        else:
            value[params.n_inputs + node] = ops[op](value[genome[3 * node + 1]], value[genome[3 * node + 2]])
    expr = value[int(genome[-1])]
    return sympy.simplify(expr) if simplify else expr
