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


CGP = KernelSpec("cgp", "Plasticity rule given as a CGP program over causal, acausal, weight, reward, rate and "
                 "membrane (Jordan et al. 2021, eLife 10:e66273); encoding in ppu_firmware/cgp.py.", (
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
), complete=_cgp_complete)

SPIKE_TRAIN = KernelSpec("spike_train", "PPU stimulus: each call sends the first `count` labels of a list into the "
                                        "event routing (hal_send_spike), a periodic on-chip spike source.", (
    Parameter("count", 0x000, "uint8", 0, 64, 0, "labels sent per call", fmt="count"),
    Parameter("calls", 0x002, "uint16", 0, 65535, 0, "calls so far", fmt="count", updated=True),
    Parameter("labels", 0x004, "uint16", 0, 0x3FFF, 0, "event labels, sent in order", fmt="14-bit label", count=64),
))

KERNELS: dict[str, KernelSpec] = {k.name: k for k in (STDP, RSTDP, HOMEOSTASIS, STRUCTURAL, CGP, SPIKE_TRAIN)}
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
