"""Integration state carried across the segments of a run.

A run without PPU programs is one segment; with a PPU program the run is cut at the
kernel's timer ticks, and the kernel changes the synapses between segments. This class
owns what persists across segments (membrane state, noise streams, rate counters) and
calls the compiled integrator for one segment at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import integrator as K
from .fanout import FanOut


@dataclass
class SegmentOutput:
    """What one segment recorded: spikes per trial (time, compact neuron index), MADC grid
    values (n_trials, n_madc, n_steps + 1) and CADC membrane values (n_trials, n_samples, M)."""

    spike_time_us: list
    spike_index: list
    madc: np.ndarray
    cadc: np.ndarray


class IntegrationState:
    """Membranes, synaptic currents, adaptation and refractory state of ``n_trials``
    trials of the ``M`` integrated neurons (parameter matrix ``P``, shape (M, n_params))."""

    def __init__(self, P: np.ndarray, n_trials: int, streams: np.ndarray, dt_us: float, jitter_us: float):
        self.P = P
        self.dt_us = dt_us
        self.jitter_us = jitter_us
        self.state = np.zeros((n_trials, K.N_STATE, P.shape[0]))
        self.state[:, K.V, :] = P[:, K.V_LEAK]
        self.streams = streams.copy()
        self.rate_counter = np.zeros((n_trials, P.shape[0]), np.int64)
        self.capacity = 256 + 16 * P.shape[0]

    @property
    def n_trials(self) -> int:
        return self.state.shape[0]

    def advance(self, table: FanOut, source_of_neuron: np.ndarray, ev_ptr: np.ndarray, ev_time_us: np.ndarray,
                ev_source: np.ndarray, t_start_us: float, n_steps: int, madc_index: np.ndarray, madc_row: int,
                cadc_times_us: np.ndarray) -> SegmentOutput:
        """Integrate ``n_steps`` steps from ``t_start_us``; events are given per trial
        (``ev_ptr``) with their fan-out slice (``ev_source``, -1 = reaches nothing)."""
        n = self.n_trials
        madc = np.zeros((n, madc_index.size, n_steps + 1))
        cadc = np.zeros((n, cadc_times_us.size, self.P.shape[0]))
        target = table.target.astype(np.int64)
        channel = table.channel.astype(np.int64)
        while True:
            state, streams, counter = self.state.copy(), self.streams.copy(), self.rate_counter.copy()
            spike_time = np.empty((n, self.capacity))
            spike_index = np.empty((n, self.capacity), np.int64)
            spike_count = np.zeros(n, np.int64)
            K.integrate(self.P, source_of_neuron, table.ptr, target, channel, table.amplitude,
                        ev_ptr, ev_time_us, ev_source, state, streams, t_start_us, self.dt_us, n_steps,
                        self.jitter_us, madc_index, madc_row, madc, cadc_times_us, cadc,
                        spike_time, spike_index, spike_count, counter)
            if spike_count.max(initial=0) <= self.capacity:
                break
            self.capacity = int(spike_count.max())             # rare: grow the buffers and repeat exactly
        self.state, self.streams, self.rate_counter = state, streams, counter
        return SegmentOutput([spike_time[b, :spike_count[b]] for b in range(n)],
                             [spike_index[b, :spike_count[b]] for b in range(n)], madc, cadc)
