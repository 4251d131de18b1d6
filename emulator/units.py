"""Time bases of BrainScaleS-2, in one place.

The chip runs 1000 times faster than biology: one biological millisecond (the unit of
PyNN scripts) is one hardware microsecond (the unit of everything at or below the chip
interface). Events carry FPGA timestamps of 8 ns (125 MHz); the PPU clock lives with the firmware
(``ppu_firmware.host.PPU_CYCLES_PER_US``).
Sources: BSS2 demos ``fp_brainscales.rst`` (speed-up), haldls/halco (FPGA clock),
"""
from __future__ import annotations

import numpy as np

SPEEDUP: float = 1000.0
"""Biological time / hardware time."""

FPGA_CLOCK_MHZ: float = 125.0
FPGA_TICK_US: float = 1.0 / FPGA_CLOCK_MHZ
"""One FPGA timestamp tick in hardware microseconds (8 ns)."""



def bio_ms_to_hw_us(t_bio_ms):
    """Biological milliseconds -> hardware microseconds (numerically equal at 1000x)."""
    return np.asarray(t_bio_ms, dtype=float) * (1e3 / SPEEDUP)


def hw_us_to_bio_ms(t_hw_us):
    """Hardware microseconds -> biological milliseconds."""
    return np.asarray(t_hw_us, dtype=float) * (SPEEDUP / 1e3)


def us_to_fpga_ticks(t_hw_us) -> np.ndarray:
    """Hardware microseconds -> nearest FPGA tick (int64)."""
    return np.rint(np.asarray(t_hw_us, dtype=float) / FPGA_TICK_US).astype(np.int64)

