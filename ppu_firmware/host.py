"""The Python API of the PPU firmware: the only module the emulator uses.

A :class:`PPUState` holds one hemisphere's view of the chip as numpy buffers;
:func:`run_kernel` runs a compiled C kernel on it (the same C the PowerPC build uses,
through the cffi library ``ppu_firmware._host`` built at install time), mutating the
buffers in place and returning the **PPU cycles** (250 MHz) the call took under the
HAL's cost model (``include/ppu/time.h``). The emulator converts cycles to hardware
microseconds with :func:`cycles_to_us` and refuses timer periods shorter than
:func:`estimate_cycles`.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import HostLibraryError, KernelError, StateError
from .parameters import MAILBOX_BYTES, N_ROWS
from .registry import KERNELS, KernelSpec, decode_mailbox, encode_parameters, kernel_spec

__all__ = ["PPUState", "KERNELS", "KernelSpec", "encode_parameters", "decode_mailbox", "run_kernel",
           "estimate_cycles", "cycles_to_us", "PPU_CYCLES_PER_US"]

PPU_CYCLES_PER_US = 250
"""PPU clock: 250 cycles per hardware microsecond (libnux ``time.h``)."""
N_COLUMNS = 256
SPIKES_QUEUE_COUNT = 0xE00
SPIKES_QUEUE_DROPPED = 0xE02
SPIKES_QUEUE_LABELS = 0xE04

_lock = threading.Lock()  # the C HAL binds one state at a time


def _load_library():
    try:
        from . import _host
    except ImportError as exc:
        raise HostLibraryError(
            "the PPU host library ppu_firmware._host is not built; it is compiled at install time: "
            "run `pip install -e .` (or `pip install .`) in the repository, with gcc and cffi installed"
        ) from exc
    return _host.ffi, _host.lib


def _synapses() -> np.ndarray:
    return np.zeros((N_ROWS, N_COLUMNS), dtype=np.uint8)


def _columns() -> np.ndarray:
    return np.zeros(N_COLUMNS, dtype=np.uint8)


@dataclass
class PPUState:
    """One hemisphere as its PPU sees it. All buffers are uint8 and C-contiguous.

    * ``weights``, ``labels`` (256, 256): row = synapse-driver row, column = neuron
      column; 6-bit values 0..63.
    * ``causal``, ``acausal`` (256, 256): correlation sensor readings in CADC LSB
      (0..255, larger = more correlation), as the CADC would convert them now.
    * ``corr_reset`` (256,): the kernel sets entry r to 1 when it resets row r's sensors;
      the emulator resets its analog traces for those rows and clears the flags.
    * ``rate_counters`` (256,): 8-bit spike counts per neuron (the kernel may zero them).
    * ``cadc`` (256,): CADC samples of the membranes, CADC LSB.
    * ``mailbox`` (4096,): parameters and observables, big-endian fields
      (:func:`encode_parameters`), spike-out queue at 0xE00 (:meth:`spikes_out`).
    * ``time_cycles``: PPU clock in cycles (250 MHz); a call advances it by its cost.
    * ``rng_state``: xorshift32 state of the PPU's random generator (0 = fixed seed).
    """

    weights: np.ndarray = field(default_factory=_synapses)
    labels: np.ndarray = field(default_factory=_synapses)
    causal: np.ndarray = field(default_factory=_synapses)
    acausal: np.ndarray = field(default_factory=_synapses)
    corr_reset: np.ndarray = field(default_factory=_columns)
    rate_counters: np.ndarray = field(default_factory=_columns)
    cadc: np.ndarray = field(default_factory=_columns)
    mailbox: np.ndarray = field(default_factory=lambda: np.zeros(MAILBOX_BYTES, dtype=np.uint8))
    time_cycles: int = 0
    rng_state: int = 1

    @classmethod
    def for_kernel(cls, kernel: str, params: Mapping[str, Any] | None = None, **buffers: Any) -> "PPUState":
        """A state whose mailbox holds ``kernel``'s parameters; other fields from ``buffers``."""
        return cls(mailbox=encode_parameters(kernel, params), **buffers)

    def copy(self) -> "PPUState":
        return PPUState(**{name: (value.copy() if isinstance(value, np.ndarray) else value)
                           for name, value in self.__dict__.items()})

    def spikes_out(self) -> np.ndarray:
        """14-bit labels the kernel sent with ``hal_send_spike``, in order (int64)."""
        count = int(self.mailbox[SPIKES_QUEUE_COUNT:SPIKES_QUEUE_COUNT + 2].view(">u2")[0])
        raw = self.mailbox[SPIKES_QUEUE_LABELS:SPIKES_QUEUE_LABELS + 2 * count]
        return raw.view(">u2").astype(np.int64)

    @property
    def spikes_dropped(self) -> int:
        """Spikes lost because the queue (254 entries) was full."""
        return int(self.mailbox[SPIKES_QUEUE_DROPPED:SPIKES_QUEUE_DROPPED + 2].view(">u2")[0])

    def clear_spikes_out(self) -> None:
        """Empty the spike-out queue (the host does this after delivering the events)."""
        self.mailbox[SPIKES_QUEUE_COUNT:SPIKES_QUEUE_LABELS] = 0


_BUFFERS = {
    "weights": (N_ROWS, N_COLUMNS), "labels": (N_ROWS, N_COLUMNS), "causal": (N_ROWS, N_COLUMNS),
    "acausal": (N_ROWS, N_COLUMNS), "corr_reset": (N_ROWS,), "rate_counters": (N_COLUMNS,),
    "cadc": (N_COLUMNS,), "mailbox": (MAILBOX_BYTES,),
}


def _check_state(state: PPUState) -> None:
    for name, shape in _BUFFERS.items():
        a = getattr(state, name)
        if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.shape != shape:
            got = f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
            raise StateError(f"PPUState.{name} must be a uint8 array of shape {shape}, got {got}; "
                             f"build it with np.zeros({shape}, dtype=np.uint8)")
        if not (a.flags.c_contiguous and a.flags.writeable):
            raise StateError(f"PPUState.{name} must be C-contiguous and writeable "
                             f"(pass np.ascontiguousarray(...) or a copy)")
    for name in ("weights", "labels"):
        a = getattr(state, name)
        if a.max() > 63:
            row, col = np.argwhere(a > 63)[0]
            raise StateError(f"PPUState.{name}[{row}, {col}] = {a[row, col]}; synapse {name} are 6 bit (0..63)")
    if not 0 <= int(state.rng_state) < 2**32:
        raise StateError(f"PPUState.rng_state must lie in 0..2**32-1, got {state.rng_state}")
    if not 0 <= int(state.time_cycles) < 2**63:
        raise StateError(f"PPUState.time_cycles must lie in 0..2**63-1 cycles, got {state.time_cycles}")


@functools.lru_cache(maxsize=None)
def _kernel_id(name: str) -> int:
    """Position of kernel ``name`` in the compiled C table (kernels/table.c)."""
    ffi, lib = _load_library()
    kernel_id = int(lib.ppu_kernel_id(name.encode()))
    if kernel_id < 0:
        raise KernelError(f"kernel {name!r} is registered in ppu_firmware/registry.py but not compiled into the "
                          f"host library: add it to kernels/table.c and rebuild (pip install -e .)")
    return kernel_id


def run_kernel(kernel: str, state: PPUState) -> int:
    """Run ``kernel`` once on ``state`` (buffers mutated in place); returns the PPU cycles used.

    ``state.time_cycles`` advances by the returned count and ``state.rng_state`` by the
    random numbers drawn. Thread-safe (calls are serialised).
    """
    spec = kernel_spec(kernel)
    _check_state(state)
    ffi, lib = _load_library()
    c_state = ffi.new("ppu_state_t *")
    buffers = {name: ffi.from_buffer("uint8_t[]", getattr(state, name), require_writable=True) for name in _BUFFERS}
    for name, buffer in buffers.items():
        setattr(c_state, name, buffer)
    c_state.time_cycles = int(state.time_cycles)
    c_state.rng_state = int(state.rng_state)
    with _lock:
        cycles = int(lib.ppu_run_kernel(c_state, _kernel_id(spec.name)))
    state.time_cycles = int(c_state.time_cycles)
    state.rng_state = int(c_state.rng_state)
    return cycles


def estimate_cycles(kernel: str, params: Mapping[str, Any] | None = None) -> int:
    """PPU cycles of the longest call of ``kernel`` with ``params`` (default parameters if None).

    Every kernel's cost depends only on its parameters (rows selected, CGP program length,
    whether the call prunes), not on the data, so one call on a blank hemisphere measures it.
    """
    spec = kernel_spec(kernel)
    params = dict(params or {})
    state = PPUState.for_kernel(kernel, {**params, **spec.worst_case(params)})
    return run_kernel(kernel, state)


def cycles_to_us(cycles: int | np.ndarray) -> float | np.ndarray:
    """PPU cycles -> hardware microseconds (250 MHz)."""
    return np.asarray(cycles) / PPU_CYCLES_PER_US
