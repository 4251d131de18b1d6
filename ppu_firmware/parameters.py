"""Mailbox parameters: one typed, range-checked field of a kernel's mailbox layout.

The mailbox is the top 4096 bytes of the PPU's 16 KiB SRAM (libnux ``elf32nux.x``,
``mailbox_size=4096``). Multi-byte fields are stored **big-endian**, the PPU's byte order;
the C side reads them byte-wise (``include/ppu/mailbox.h``), so host and PowerPC builds
agree. Offsets here must equal the ``*_MB_*`` defines of ``kernels/<name>.h``
(tests/test_ppu_layout.py checks it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ParameterError

MAILBOX_BYTES = 4096
PARAMETER_BYTES = 0xE00
"""Bytes 0..0xDFF hold kernel parameters; 0xE00..0xFFF the spike-out queue."""
N_ROWS = 256
ROW_MASK_BYTES = N_ROWS // 8

_DTYPES = {
    "uint8": np.dtype("u1"), "int8": np.dtype("i1"),
    "uint16": np.dtype(">u2"), "int16": np.dtype(">i2"), "uint32": np.dtype(">u4"),
}
ROWS = "rows"
"""ctype of a row selection: 256 bits (bit r = bit r % 8 of byte r // 8), given in Python
as a sequence of row indices or a boolean array of shape (256,)."""


def to_fixed(value: float, frac_bits: int) -> int:
    """Nearest integer of ``value * 2**frac_bits``: a real number in a Q format, e.g.
    ``to_fixed(0.125, 15) == 4096`` (Q0.15)."""
    return int(np.floor(value * 2.0 ** frac_bits + 0.5))


@dataclass(frozen=True)
class Parameter:
    """One field of a kernel's mailbox layout.

    ``fmt`` names the fixed-point format or unit (``Q0.7`` = value / 2**7, ``CADC LSB``,
    ``weight LSB``, ...). ``updated`` marks fields the kernel writes back (observables);
    they may be given initial values like any parameter. ``convert`` turns a friendly
    Python value into the raw integers (used by the CGP program).
    """

    name: str
    offset: int
    ctype: str
    low: int
    high: int
    default: Any
    doc: str
    fmt: str = ""
    count: int = 1
    updated: bool = False
    convert: Callable[[Any], Any] | None = None

    @property
    def nbytes(self) -> int:
        if self.ctype == ROWS:
            return ROW_MASK_BYTES
        return _DTYPES[self.ctype].itemsize * self.count

    @property
    def type_name(self) -> str:
        """C type as written in the README tables, e.g. ``int16[64]``."""
        if self.ctype == ROWS:
            return "uint8[32] row mask"
        return self.ctype if self.count == 1 else f"{self.ctype}[{self.count}]"

    def encode(self, kernel: str, value: Any) -> bytes:
        """Validate ``value`` and return its mailbox bytes."""
        if self.ctype == ROWS:
            return _encode_rows(kernel, self.name, value)
        if self.convert is not None:
            value = self.convert(value)
        raw = np.asarray(value)
        if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or _integral_floats(raw)):
            raise ParameterError(
                f"parameter '{self.name}' of kernel '{kernel}' takes integers ({self.fmt or self.ctype}); "
                f"got {value!r}. Convert real numbers with ppu_firmware.parameters.to_fixed")
        if self.count == 1 and raw.ndim != 0:
            raise ParameterError(f"parameter '{self.name}' of kernel '{kernel}' is a single {self.ctype}, "
                                 f"got an array of shape {raw.shape}")
        if self.count > 1:
            if raw.ndim == 0:
                raw = np.full(self.count, raw)
            elif raw.shape != (self.count,):
                raise ParameterError(
                    f"parameter '{self.name}' of kernel '{kernel}' needs {self.count} values "
                    f"(or one for all), got shape {raw.shape}")
        raw = raw.astype(np.int64)
        bad = np.flatnonzero((raw < self.low) | (raw > self.high))
        if bad.size:
            where = f"element {bad[0]} is " if self.count > 1 else "got "
            raise ParameterError(
                f"parameter '{self.name}' of kernel '{kernel}' must lie in {self.low}..{self.high} "
                f"({self.type_name}, {self.fmt or 'integer'}); {where}{raw.reshape(-1)[bad[0]]}")
        return raw.astype(_DTYPES[self.ctype]).tobytes()

    def decode(self, mailbox: np.ndarray) -> int | np.ndarray:
        """This field's value in ``mailbox`` (an int, or an array for arrays and row masks)."""
        raw = np.asarray(mailbox, dtype=np.uint8)[self.offset:self.offset + self.nbytes]
        if self.ctype == ROWS:
            return np.flatnonzero(np.unpackbits(raw, bitorder="little"))
        values = raw.view(_DTYPES[self.ctype]).astype(np.int64)
        return int(values[0]) if self.count == 1 else values


def _integral_floats(raw: np.ndarray) -> bool:
    return np.issubdtype(raw.dtype, np.floating) and bool(np.all(np.isfinite(raw) & (raw == np.round(raw))))


def _encode_rows(kernel: str, name: str, value: Any) -> bytes:
    rows = np.asarray(value)
    if rows.dtype == bool:
        if rows.shape != (N_ROWS,):
            raise ParameterError(f"parameter '{name}' of kernel '{kernel}': a boolean row mask needs shape "
                                 f"({N_ROWS},), got {rows.shape}")
        mask = rows
    else:
        rows = rows.reshape(-1)
        if rows.size and not np.issubdtype(rows.dtype, np.integer):
            raise ParameterError(f"parameter '{name}' of kernel '{kernel}' takes row indices (integers) "
                                 f"or a boolean mask of shape ({N_ROWS},); got {value!r}")
        bad = rows[(rows < 0) | (rows >= N_ROWS)]
        if bad.size:
            raise ParameterError(f"parameter '{name}' of kernel '{kernel}': row {bad[0]} is outside "
                                 f"0..{N_ROWS - 1}")
        mask = np.zeros(N_ROWS, dtype=bool)
        mask[rows.astype(np.int64)] = True
    return np.packbits(mask, bitorder="little").tobytes()
