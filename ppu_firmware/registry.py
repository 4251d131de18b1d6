"""The firmware's kernels and their mailbox parameter tables.

Each :class:`KernelSpec` mirrors ``kernels/<name>.h``: the kernel's name in
``kernels/table.c``, and for every mailbox field its offset, C type, allowed range,
default, fixed-point format and meaning. :func:`encode_parameters` turns a parameter
dict into the 4096 mailbox bytes the kernel expects, validating everything.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import cgp
from .errors import KernelError, ParameterError
from .parameters import MAILBOX_BYTES, ROWS, Parameter

ALL_ROWS = tuple(range(256))


def _rows(offset: int) -> Parameter:
    return Parameter("rows", offset, ROWS, 0, 255, ALL_ROWS, "rows (synapse-driver rows) the kernel updates",
                     fmt="row indices")


def _reset(offset: int, what: str) -> Parameter:
    return Parameter("reset", offset, "uint8", 0, 1, 1, f"1: reset {what} after reading", fmt="flag")


def _offsets(offset: int, which: str) -> Parameter:
    return Parameter(f"{which}_offset", offset, "uint8", 0, 255, 0,
                     f"per-column {which} sensor offset subtracted from the reading", fmt="CADC LSB", count=256)


@dataclass(frozen=True)
class KernelSpec:
    """A kernel of the firmware: its name in the C table, parameter table and documentation.

    ``complete`` derives parameters from others (CGP: ``n_nodes`` from ``nodes``);
    ``worst_case`` returns parameter overrides that make a call as long as any call can
    be (structural: a pruning call), for :func:`ppu_firmware.host.estimate_cycles`.
    """

    name: str
    doc: str
    parameters: tuple[Parameter, ...]
    complete: Callable[[dict], dict] = field(default=lambda params: params)
    worst_case: Callable[[dict], dict] = field(default=lambda params: {})

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(f"kernel '{self.name}' has no parameter '{name}'; its parameters are: "
                             f"{', '.join(p.name for p in self.parameters)}")


STDP = KernelSpec("stdp", "Additive STDP on the correlation sensors, with per-column sensor offsets.", (
    Parameter("factor", 0x000, "int8", -128, 127, 32, "learning rate: dw = (causal - acausal) * factor", fmt="Q0.7"),
    _reset(0x001, "the correlation of processed rows"),
    _rows(0x004),
    _offsets(0x100, "causal"),
    _offsets(0x200, "acausal"),
))

RSTDP = KernelSpec("rstdp", "Reward-modulated STDP (Wunderlich et al. 2019, Front. Neurosci. 13:260): "
                   "dw = round(eta (R - Rbar_k) corr), Rbar_k <- Rbar_k + (R - Rbar_k) / 2**mean_shift.", (
    Parameter("eta", 0x000, "int16", 0, 32767, 4096, "learning rate eta (4096 = 0.125)", fmt="Q0.15"),
    Parameter("reward", 0x002, "int16", -32768, 32767, 0, "reward R of this trial (16384 = 1.0)", fmt="Q1.14"),
    Parameter("state", 0x004, "uint8", 0, 63, 0, "current state k (e.g. ball position)", fmt="index"),
    Parameter("mean_shift", 0x005, "uint8", 0, 15, 1, "running-mean rate of the expected reward, 2**-mean_shift",
              fmt="shift"),
    _reset(0x006, "the correlation of processed rows"),
    _rows(0x008),
    Parameter("expected_reward", 0x040, "int16", -32768, 32767, 0, "expected reward Rbar per state, updated by "
              "the kernel", fmt="Q1.14", count=64, updated=True),
    _offsets(0x100, "causal"),
))

HOMEOSTASIS = KernelSpec("homeostasis", "Rate homeostasis: w += step * sign(target - rate count) per column.", (
    Parameter("target", 0x000, "uint8", 0, 255, 10, "target spike count per kernel period", fmt="count"),
    Parameter("step", 0x001, "uint8", 0, 63, 1, "weight step per call", fmt="weight LSB"),
    _reset(0x002, "the rate counters"),
    _rows(0x004),
))


def _structural_worst_case(params: dict) -> dict:
    """The next call prunes: calls = prune_period - 1."""
    period = params.get("prune_period", STRUCTURAL.parameter("prune_period").default)
    return {"calls": period - 1} if period else {}


STRUCTURAL = KernelSpec(
    "structural", "Structural plasticity (Billaudelle et al. 2021, Neural Networks 133): STDP + homeostasis + "
    "noise; every prune_period-th call rewires connected synapses below prune_threshold to a random label, "
    "keeping each column's fan-in constant.", (
        Parameter("factor", 0x000, "int8", -128, 127, 32, "STDP learning rate", fmt="Q0.7"),
        Parameter("target", 0x001, "uint8", 0, 255, 10, "homeostatic target spike count per period", fmt="count"),
        Parameter("step", 0x002, "uint8", 0, 63, 1, "homeostatic weight step per call", fmt="weight LSB"),
        Parameter("noise", 0x003, "uint8", 0, 127, 1, "noise amplitude: uniform in -noise..noise", fmt="weight LSB"),
        Parameter("prune_threshold", 0x004, "uint8", 0, 63, 4, "rewire connected synapses with weight below this",
                  fmt="weight LSB"),
        Parameter("prune_period", 0x005, "uint8", 0, 255, 10, "prune every n-th call (0: never)", fmt="calls"),
        Parameter("label_count", 0x006, "uint8", 1, 64, 64, "labels 0..n-1 are in use; larger labels mark "
                  "unconnected synapses", fmt="labels"),
        Parameter("initial_weight", 0x007, "uint8", 0, 63, 8, "weight of a rewired synapse", fmt="weight LSB"),
        _reset(0x008, "the correlation of processed rows and the rate counters"),
        Parameter("calls", 0x00C, "uint32", 0, 2**32 - 1, 0, "calls so far, updated", fmt="count", updated=True),
        Parameter("pruned", 0x010, "uint32", 0, 2**32 - 1, 0, "synapses rewired so far, updated", fmt="count",
                  updated=True),
        _rows(0x020),
        _offsets(0x100, "causal"),
        _offsets(0x200, "acausal"),
    ), worst_case=_structural_worst_case)


def _cgp_complete(params: dict) -> dict:
    if "nodes" in params and "n_nodes" not in params:
        cgp.encode_nodes(params["nodes"])  # a program error reads better than an n_nodes range error
        return {**params, "n_nodes": len(list(params["nodes"]))}
    return params


CGP = KernelSpec("cgp", "Plasticity rule given as a CGP program over causal, acausal, weight, reward, rate, "
                 "membrane, target membrane and presynaptic trace (Jordan et al. 2021, eLife 10:e66273); "
                 "encoding in ppu_firmware/cgp.py.", (
    Parameter("n_nodes", 0x000, "uint8", 1, cgp.MAX_NODES, 1, "number of nodes evaluated (default: len(nodes))",
              fmt="count"),
    _reset(0x001, "the correlation of processed rows and the rate counters"),
    Parameter("reward", 0x002, "int16", -32768, 32767, 0, "reward input", fmt="Q7.8"),
    Parameter("constants", 0x004, "int16", -32768, 32767, (256, 0, 0, 0), "constants selected by 'const' nodes",
              fmt="Q7.8", count=cgp.N_CONSTANTS),
    _rows(0x010),
    Parameter("nodes", 0x030, "uint8", 0, 255, (("sub", "causal", "acausal"),),
              "the program: sequence of (op, a, b), see ppu_firmware.cgp", fmt="CGP nodes",
              count=3 * cgp.MAX_NODES, convert=cgp.encode_nodes),
    Parameter("eta_shift", 0x054, "uint8", 0, cgp.MAX_ETA_SHIFT, 0,
              "learning rate 2**eta_shift: dw = round(2**eta_shift * y / 4) LSB", fmt="shift"),
    Parameter("psp_column", 0x056, "uint8", 0, 255, 0, "column whose causal reading is the psp input (19)",
              fmt="column"),
    Parameter("frozen_columns", 0x060, ROWS, 0, 255, (), "columns (neurons) whose synapses keep their weights",
              fmt="column indices"),
    Parameter("target_column", 0x100, "uint8", 0, 255, 0, "per column: the column whose membrane is "
              "its target input (18)", fmt="column", count=256),
), complete=_cgp_complete)

SPIKE_TRAIN = KernelSpec("spike_train", "PPU stimulus: each call sends the first `count` labels of a list into the "
                                        "event routing (hal_send_spike), a periodic on-chip spike source.", (
    Parameter("count", 0x000, "uint8", 0, 64, 0, "labels sent per call", fmt="count"),
    Parameter("calls", 0x002, "uint16", 0, 65535, 0, "calls so far", fmt="count", updated=True),
    Parameter("labels", 0x004, "uint16", 0, 0x3FFF, 0, "event labels, sent in order", fmt="14-bit label", count=64),
))

INSECT_WORLD = KernelSpec(
    "insect_world", "Path-integration world (Stone et al. 2017, Curr. Biol. 27:3069): one call is one step of a bee "
    "journey: the PPU integrates the CPU4 rate counts into a memory held as synapse weights, turns (random outbound, "
    "steered by the CPU1 counts when homing), moves the body (acceleration, drag) and sends compass, flow and memory "
    "events, the compass in a heading frame rotated by one column every frame_block steps (the memory follows it), "
    "so the columns' fixed-pattern noise averages out; see bss2_experiments/insect.", (
        Parameter("outbound_steps", 0x000, "uint16", 0, 65535, 1000, "steps on the random outbound route",
                  fmt="steps"),
        Parameter("homing_steps", 0x002, "uint16", 0, 65535, 1000, "steps steered by the network", fmt="steps"),
        Parameter("acceleration", 0x004, "uint16", 0, 16384, 9830, "thrust per step (9830 = 0.15)", fmt="Q0.16"),
        Parameter("drag", 0x006, "uint16", 3277, 32768, 9830, "fraction of the velocity lost per step "
                  "(9830 = 0.15)", fmt="Q0.16"),
        Parameter("turn_sd", 0x008, "uint16", 0, 4096, 1043, "sd of the outbound turn noise (1043 = 0.1 rad)",
                  fmt="binary angle"),
        Parameter("turn_memory", 0x00A, "uint16", 0, 65535, 26214, "low-pass factor of outbound turns "
                  "(26214 = 0.4)", fmt="Q0.16"),
        Parameter("memory_gain", 0x00C, "uint16", 0, 4096, 20, "memory change per CPU4 count", fmt="Q0.15"),
        Parameter("turn_gain", 0x00E, "uint16", 0, 4096, 400, "homing turn per count of CPU1 left - right",
                  fmt="binary angle"),
        Parameter("compass_events", 0x010, "uint8", 0, 255, 6, "events of a compass label at cos = 1",
                  fmt="count"),
        Parameter("flow_events", 0x011, "uint8", 0, 255, 8, "events of a flow label at flow = 1", fmt="count"),
        Parameter("memory_events", 0x012, "uint8", 0, 255, 4, "memory-source events per step", fmt="count"),
        Parameter("frame_block", 0x013, "uint8", 0, 255, 0, "steps per rotation of the heading frame (0: off)",
                  fmt="steps"),
        Parameter("sample_every", 0x014, "uint8", 0, 255, 4, "steps per trajectory sample (0: none)", fmt="steps"),
        Parameter("memory_row", 0x015, "uint8", 0, 255, 0, "synapse row holding the memory weights", fmt="row"),
        Parameter("turn_bias", 0x016, "int16", -4096, 4096, 0, "constant outbound turn per step (circles for "
                  "the circuit's offset measurement)", fmt="binary angle"),
        Parameter("motor_offset", 0x018, "int16", -4096, 4096, 0, "offset subtracted from the CPU1 left - right "
                  "count", fmt="Q12.3 count"),
        Parameter("memory_dither", 0x01A, "uint16", 0, 8192, 0, "dither amplitude of the memory weight rounding "
                  "(4096 = 4 weight steps)", fmt="Q0.15"),
        Parameter("frame", 0x01C, "uint16", 0, 7, 0, "frame rotation of the senses sent by the last call",
                  fmt="columns", updated=True),
        Parameter("settling", 0x01E, "uint16", 0, 1, 0, "1: the last call's senses came in a new frame (the next "
                  "update repeats the last settled one)", fmt="flag", updated=True),
        Parameter("compass_labels", 0x020, "uint16", 0, 0x3FFF, 0, "event labels of the 16 compass inputs",
                  fmt="14-bit label", count=16),
        Parameter("flow_labels", 0x040, "uint16", 0, 0x3FFF, 0, "event labels of the flow inputs (left, right)",
                  fmt="14-bit label", count=2),
        Parameter("memory_label", 0x044, "uint16", 0, 0x3FFF, 0, "event label of the memory source",
                  fmt="14-bit label"),
        Parameter("cpu4_columns", 0x050, "uint8", 0, 255, 0, "columns (neurons) of CPU4 0..15", fmt="column",
                  count=16),
        Parameter("cpu1_columns", 0x060, "uint8", 0, 255, 0, "columns (neurons) of CPU1 0..15", fmt="column",
                  count=16),
        Parameter("memory_columns", 0x070, "uint8", 0, 255, 0, "synapse column of memory i in memory_row",
                  fmt="column", count=16),
        Parameter("step", 0x080, "uint16", 0, 65535, 0, "steps done", fmt="count", updated=True),
        Parameter("heading", 0x082, "uint16", 0, 65535, 0, "heading (65536 = 2 pi, clockwise from +y)",
                  fmt="binary angle", updated=True),
        Parameter("turn", 0x084, "uint32", 0, 2**32 - 1, 0, "last outbound turn (int32)", fmt="binary angle",
                  updated=True),
        Parameter("velocity", 0x088, "uint32", 0, 2**32 - 1, 0, "velocity x, y (int32)", fmt="Q15.16",
                  count=2, updated=True),
        Parameter("position", 0x090, "uint32", 0, 2**32 - 1, 0, "position x, y (int32)", fmt="Q15.16", count=2,
                  updated=True),
        Parameter("closest", 0x098, "uint32", 0, 2**32 - 1, 2**32 - 1, "smallest squared distance to the nest "
                  "while homing", fmt="Q4 squared", updated=True),
        Parameter("closest_step", 0x09C, "uint16", 0, 65535, 0, "step of the closest approach", fmt="count",
                  updated=True),
        Parameter("motor", 0x09E, "int16", -32768, 32767, 0, "last CPU1 count difference left - right",
                  fmt="count", updated=True),
        Parameter("memory", 0x0A0, "int16", -32768, 32767, 0, "CPU4 memory", fmt="Q0.15", count=16, updated=True),
        Parameter("update", 0x0C0, "uint32", 0, 2**32 - 1, 0, "last settled memory update re, im per side (int32)",
                  fmt="Q6 count", count=4, updated=True),
        Parameter("sample_x", 0x100, "int16", -32768, 32767, 0, "x of trajectory samples", fmt="Q11.4",
                  count=540, updated=True),
        Parameter("sample_y", 0x538, "int16", -32768, 32767, 0, "y of trajectory samples", fmt="Q11.4",
                  count=540, updated=True),
        Parameter("sample_heading", 0x970, "uint16", 0, 65535, 0, "heading of trajectory samples",
                  fmt="binary angle", count=540, updated=True),
    ))


def _pong_worst_case(params: dict) -> dict:
    """The next call learns, records a curve sample and the ball misses (a new game is drawn)."""
    window = params.get("window", PONG.parameter("window").default)
    every = params.get("curve_every", PONG.parameter("curve_every").default)
    return {"calls": window, "iteration": every - 1, "ball": (65536, 32768), "paddle": 0}


PONG = KernelSpec(
    "pong", "Pong played and learned on the PPU (Wunderlich et al. 2019, Front. Neurosci. 13:260): every window-th "
    "call reads the rate counters, moves the paddle to the most active output unit, rewards the distance to the "
    "ball, updates the ball row (or only the chosen unit's synapse) by dw ~ (eta/256) (R - Rbar_k) causal "
    "correlation and steps the game; every call sends the ball row's events and noise events (probability decaying "
    "with the iterations); see bss2_experiments/rstdp.", (
        Parameter("eta", 0x000, "int16", 0, 32767, 256, "learning rate: f = eta (R - Rbar_k), dw = round(f (c - o) "
                  "/ 256)", fmt="Q8.7"),
        Parameter("mean_shift", 0x002, "uint8", 0, 15, 1, "running-mean rate of the expected reward, 2**-mean_shift",
                  fmt="shift"),
        Parameter("window", 0x003, "uint8", 1, 255, 8, "calls per iteration (the poll window)", fmt="calls"),
        Parameter("ball_events", 0x004, "uint8", 0, 16, 2, "events of the ball's input unit per call", fmt="count"),
        Parameter("noise", 0x005, "uint8", 0, 255, 0, "probability that a noise unit sends an event in a call",
                  fmt="/256"),
        Parameter("curve_every", 0x006, "uint16", 1, 65535, 10, "iterations per learning-curve sample",
                  fmt="iterations"),
        Parameter("ball_speed", 0x008, "uint16", 0, 65535, 1638, "ball distance per iteration (L1; 1638 = 0.025)",
                  fmt="Q0.16"),
        Parameter("paddle_speed", 0x00A, "uint16", 0, 65535, 3277, "paddle distance per iteration (3277 = 0.05)",
                  fmt="Q0.16"),
        Parameter("paddle_length", 0x00C, "uint16", 0, 65535, 4588, "paddle length (4588 = 0.07)", fmt="Q0.16"),
        Parameter("ball_radius", 0x00E, "uint16", 0, 65535, 1311, "ball radius (1311 = 0.02)", fmt="Q0.16"),
        Parameter("rewards", 0x010, "int16", 0, 32767, (16384, 11469, 6554, 1638),
                  "reward at distance 0..3 cells between target and ball (1, 0.7, 0.4, 0.1)", fmt="Q1.14", count=4),
        Parameter("noise_floor", 0x018, "uint8", 0, 255, 0, "lowest noise probability of the decay", fmt="/256"),
        Parameter("chosen_only", 0x019, "uint8", 0, 1, 0, "1: learn on the chosen output unit's synapse only, "
                  "0: on the ball row's output columns", fmt="flag"),
        Parameter("noise_decay", 0x01A, "uint16", 0, 65535, 0, "iterations per 1/256 step down of noise towards "
                  "noise_floor (0: constant)", fmt="iterations"),
        Parameter("input_labels", 0x020, "uint16", 0, 0x3FFF, 0, "event labels of input units 0..31 (ball cells)",
                  fmt="14-bit label", count=32),
        Parameter("noise_labels", 0x060, "uint16", 0, 0x3FFF, 0, "event labels of the noise units of outputs 0..31",
                  fmt="14-bit label", count=32),
        Parameter("input_rows", 0x0A0, "uint8", 0, 255, 0, "synapse row of input unit k", fmt="row", count=32),
        Parameter("output_columns", 0x0C0, "uint8", 0, 255, 0, "column (neuron) of output unit j", fmt="column",
                  count=32),
        _offsets(0x100, "causal"),
        Parameter("calls", 0x200, "uint32", 0, 2**32 - 1, 0, "calls so far", fmt="count", updated=True),
        Parameter("iteration", 0x204, "uint32", 0, 2**32 - 1, 0, "iterations played", fmt="count", updated=True),
        Parameter("reward_sum", 0x208, "uint32", 0, 2**32 - 1, 0, "sum of R in the current curve block",
                  fmt="Q1.14", updated=True),
        Parameter("hits", 0x20C, "uint16", 0, 65535, 0, "balls returned", fmt="count", updated=True),
        Parameter("misses", 0x20E, "uint16", 0, 65535, 0, "balls missed (each starts a new game)", fmt="count",
                  updated=True),
        Parameter("ball", 0x210, "uint32", 0, 2**32 - 1, 0, "ball x, y", fmt="Q16.16", count=2, updated=True),
        Parameter("velocity", 0x218, "uint32", 0, 2**32 - 1, 0, "ball velocity x, y per iteration (int32)",
                  fmt="Q16.16", count=2, updated=True),
        Parameter("paddle", 0x220, "uint32", 0, 2**32 - 1, 0, "paddle y", fmt="Q16.16", updated=True),
        Parameter("target", 0x224, "uint16", 0, 31, 0, "last chosen cell", fmt="cell", updated=True),
        Parameter("ball_cell", 0x226, "uint16", 0, 31, 0, "cell whose input unit is sending", fmt="cell",
                  updated=True),
        Parameter("reward", 0x228, "int16", -32768, 32767, 0, "last reward R", fmt="Q1.14", updated=True),
        Parameter("samples", 0x22A, "uint16", 0, 512, 0, "learning-curve samples written", fmt="count",
                  updated=True),
        Parameter("expected_reward", 0x240, "int16", -32768, 32767, 0, "expected reward Rbar per ball cell",
                  fmt="Q1.14", count=32, updated=True),
        Parameter("visits", 0x280, "uint16", 0, 65535, 0, "iterations per ball cell", fmt="count", count=32,
                  updated=True),
        Parameter("curve", 0x2C0, "int16", -32768, 32767, 0, "mean Rbar over visited cells, every curve_every "
                  "iterations", fmt="Q1.14", count=512, updated=True),
        Parameter("reward_curve", 0x6C0, "int16", -32768, 32767, 0, "mean R of each curve block", fmt="Q1.14",
                  count=512, updated=True),
    ), worst_case=_pong_worst_case)

KERNELS: dict[str, KernelSpec] = {k.name: k for k in (STDP, RSTDP, HOMEOSTASIS, STRUCTURAL, CGP, SPIKE_TRAIN,
                                                       INSECT_WORLD, PONG)}
"""Kernel name -> spec, in the order of the C kernel table."""


def kernel_spec(kernel: str) -> KernelSpec:
    """The spec of ``kernel``, or a :class:`KernelError` listing the known kernels."""
    try:
        return KERNELS[kernel]
    except (KeyError, TypeError):
        raise KernelError(f"unknown PPU kernel {kernel!r}; known kernels: {', '.join(sorted(KERNELS))}") from None


def encode_parameters(kernel: str, params: Mapping[str, Any] | None = None) -> np.ndarray:
    """The mailbox (4096 uint8, big-endian fields) holding ``params`` and defaults for the rest.

    Raises :class:`KernelError` for an unknown kernel and :class:`ParameterError` for an
    unknown parameter name or a value outside its range.
    """
    spec = kernel_spec(kernel)
    params = spec.complete(dict(params or {}))
    for name in params:
        spec.parameter(name)
    mailbox = np.zeros(MAILBOX_BYTES, dtype=np.uint8)
    for p in spec.parameters:
        raw = p.encode(kernel, params.get(p.name, p.default))
        mailbox[p.offset:p.offset + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return mailbox


def decode_mailbox(kernel: str, mailbox: np.ndarray) -> dict[str, Any]:
    """Every field of ``kernel``'s layout read from ``mailbox`` (parameters and observables)."""
    spec = kernel_spec(kernel)
    mailbox = np.asarray(mailbox, dtype=np.uint8)
    if mailbox.shape != (MAILBOX_BYTES,):
        raise ParameterError(f"a mailbox has {MAILBOX_BYTES} bytes, got shape {mailbox.shape}")
    return {p.name: p.decode(mailbox) for p in spec.parameters}
