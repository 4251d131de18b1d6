"""Refractory time: digital, no measurement.

As calix does (Electronic Visions, github electronicvisions/calix,
``spiking/refractory_period.py``): the refractory counter (8 bit) counts ticks of one of
two clocks; the fast clock is chosen whenever the target fits its range (finer steps),
and the count is the target times the clock frequency. The reset holdoff stays 0.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import REFRACTORY_CLOCK_MHZ

from .base import CalibrationState

COUNTER_MAX = 255


def settings(target_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input_clock, refractory_time) per neuron for refractory targets in us."""
    fast_mhz, slow_mhz = REFRACTORY_CLOCK_MHZ
    clock = np.where(target_us * fast_mhz <= COUNTER_MAX, 0, 1)
    counts = np.rint(target_us * np.where(clock == 0, fast_mhz, slow_mhz))
    return clock, np.clip(counts, 1, COUNTER_MAX).astype(np.int32)


def calibrate(state: CalibrationState) -> None:
    target = state.targets.per_neuron("tau_refrac_us")
    clock, counts = settings(target)
    state.set_dac("refractory_period_input_clock", clock)
    state.set_dac("refractory_period_refractory_time", counts)
    state.set_dac("refractory_period_reset_holdoff", np.zeros_like(counts))
    achieved = counts / np.asarray(REFRACTORY_CLOCK_MHZ)[clock]
    state.achieved["tau_refrac"] = achieved
    half_tick = 0.5 / np.asarray(REFRACTORY_CLOCK_MHZ)[clock]
    state.success["tau_refrac"] = np.abs(achieved - target) <= half_tick + 1e-9
