"""The FPGA -> chip event link: timestamps, bandwidth, drops.

Input events are released by the FPGA at its 8 ns clock; at most
:data:`~emulator.interface.INPUT_EVENTS_PER_TICK` spike events fit in one tick. An event
that finds its tick full waits for the next free slot; if it would wait longer than
:data:`~emulator.interface.INPUT_FIFO_DEPTH_TICKS` it is dropped and counted. Events at
or after the end of the run are not played (they are not "dropped": the run ended).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .interface import INPUT_EVENTS_PER_TICK, INPUT_FIFO_DEPTH_TICKS, Stimulus
from .units import FPGA_TICK_US, us_to_fpga_ticks


@dataclass
class DeliveredEvents:
    """Events as the chip sees them: per trial ``ptr[b]:ptr[b+1]`` of ``time_us`` and ``label``."""

    ptr: np.ndarray
    time_us: np.ndarray
    label: np.ndarray
    dropped: np.ndarray
    """(n_trials,) events the link could not deliver."""


@numba.njit(cache=True)
def _schedule(trial, ticks, per_tick, depth):
    n = ticks.size
    sent = np.empty(n, np.int64)
    keep = np.zeros(n, np.bool_)
    current_trial = -1
    slot_tick = -1
    used = 0
    for i in range(n):
        if trial[i] != current_trial:
            current_trial = trial[i]
            slot_tick = -1
            used = 0
        t = ticks[i]
        if t > slot_tick:
            slot_tick = t
            used = 0
        elif used == per_tick:
            slot_tick += 1
            used = 0
        if slot_tick - t > depth:
            continue
        sent[i] = slot_tick
        keep[i] = True
        used += 1
    return sent, keep


def deliver(stimulus: Stimulus, duration_us: float) -> DeliveredEvents:
    """Quantise, rate-limit and split a validated stimulus by trial."""
    ticks = us_to_fpga_ticks(stimulus.time_us)
    trial = np.asarray(stimulus.trial, np.int64)
    in_run = ticks * FPGA_TICK_US < duration_us
    trial, ticks, label = trial[in_run], ticks[in_run], np.asarray(stimulus.label, np.int64)[in_run]
    sent, keep = _schedule(trial, ticks, INPUT_EVENTS_PER_TICK, INPUT_FIFO_DEPTH_TICKS)
    dropped = np.bincount(trial[~keep], minlength=stimulus.n_trials)
    time_us = sent[keep] * FPGA_TICK_US
    trial, label = trial[keep], label[keep]
    late = time_us >= duration_us
    trial, time_us, label = trial[~late], time_us[~late], label[~late]
    ptr = np.zeros(stimulus.n_trials + 1, np.int64)
    np.add.at(ptr, trial + 1, 1)
    return DeliveredEvents(np.cumsum(ptr), time_us, label, dropped)
