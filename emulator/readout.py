"""Analog-to-digital readouts: CADC (8 bit, one channel per neuron column) and MADC (10 bit).

Design values: the CADC maps 82.2 mV .. 645.8 mV (CapMem DAC 70 .. 550) to codes
20 .. 220, as calix' CADC target does (2.818 mV per LSB); each channel adds its own
offset and gain (fixed-pattern noise) and the configurable digital offset (-128..127).
The MADC maps 0 .. 1200 mV to 0 .. 1023. Synaptic-input and adaptation currents are read
through the MADC at 0.1 nA per LSB around mid-scale (512). Codes are clipped, as on the chip.
"""
from __future__ import annotations

import numpy as np

from .interface import CADC_MAX_LSB, MADC_MAX_LSB, MADCSource

CADC_V_AT_20_LSB_MV = 82.2
CADC_MV_PER_LSB = 2.818
MADC_MV_PER_LSB = 1200.0 / MADC_MAX_LSB
MADC_NA_PER_LSB = 0.1
MADC_CURRENT_ZERO_LSB = 512


def cadc_codes(v_mv: np.ndarray, channel_offset_lsb: np.ndarray, channel_gain: np.ndarray,
               digital_offset: np.ndarray, noise_lsb: float, rng: np.random.Generator) -> np.ndarray:
    """CADC codes (uint8) of membrane voltages ``v_mv`` (..., 512)."""
    analog = 20.0 + channel_gain * (v_mv - CADC_V_AT_20_LSB_MV) / CADC_MV_PER_LSB + channel_offset_lsb
    if noise_lsb > 0.0:
        analog = analog + rng.normal(0.0, noise_lsb, size=analog.shape)
    return np.clip(np.rint(analog + digital_offset), 0, CADC_MAX_LSB).astype(np.uint8)


def madc_codes(values: np.ndarray, source: MADCSource, noise_lsb: float, rng: np.random.Generator) -> np.ndarray:
    """MADC codes (uint16) of a membrane trace (mV) or a current trace (nA)."""
    if source == MADCSource.MEMBRANE:
        analog = values / MADC_MV_PER_LSB
    else:
        analog = MADC_CURRENT_ZERO_LSB + values / MADC_NA_PER_LSB
    if noise_lsb > 0.0:
        analog = analog + rng.normal(0.0, noise_lsb, size=analog.shape)
    return np.clip(np.rint(analog), 0, MADC_MAX_LSB).astype(np.uint16)
