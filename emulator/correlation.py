"""Correlation sensors: the causal and acausal spike-pair traces inside every synapse.

Each synapse holds two analog accumulators that the PPU reads through the CADC
(libnux ``correlation.h``; Friedmann et al. 2017, IEEE TBioCAS 11:128). A presynaptic event
that the synapse passes (its row receives the event and the labels match; the weight does
not matter) leaves a trace decaying with ``tau``; a postsynaptic spike adds
``amplitude x pre-trace`` to the causal accumulator, and symmetrically a pre event adds
``amplitude x post-trace`` to the acausal one. calix calibrates ``tau`` to 5 us and the
amplitude to 0.5 CADC LSB per correlated pair; both are the emulator's nominal values.
Readouts are 8 bit: ``offset + gain x accumulated`` with per-synapse fixed-pattern noise,
saturating at 255. The sensors only change on events and spikes, so they are updated
from a segment's event and spike lists after the membrane integration of that segment
(weights only change at PPU calls, between segments).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .interface import CADC_MAX_LSB, N_COLUMNS, N_HEMISPHERES, N_NEURONS, N_ROWS, EventRouting, RowMode
from .random_streams import gaussian_at

TAU_CORRELATION_US = 5.0
AMPLITUDE_LSB = 0.5


@dataclass
class SensorRoutes:
    """Per source slice (same numbering as :class:`emulator.fanout.FanOut`): the driver rows
    ``(hemisphere, row)`` an event reaches and the synapse label it carries."""

    ptr: np.ndarray
    hemisphere: np.ndarray
    row: np.ndarray
    label: np.ndarray

    @classmethod
    def build(cls, routing: EventRouting, row_modes: np.ndarray, source_of_label: np.ndarray) -> "SensorRoutes":
        source = source_of_label[np.asarray(routing.source_label, np.int64)].astype(np.int64)
        live = row_modes[routing.hemisphere, routing.row] != RowMode.DISABLED
        order = np.argsort(source[live], kind="stable")
        source = source[live][order]
        ptr = np.zeros(int(source_of_label.max(initial=-1)) + 2, np.int64)
        np.add.at(ptr, source + 1, 1)
        pick = lambda a: np.asarray(a, np.int64)[live][order]  # noqa: E731
        return cls(np.cumsum(ptr), pick(routing.hemisphere), pick(routing.row), pick(routing.synapse_label))


class CorrelationSensors:
    """The accumulators and traces of all 131,072 synapses of one trial."""

    def __init__(self, tau_us: float = TAU_CORRELATION_US, amplitude_lsb: float = AMPLITUDE_LSB):
        shape = (N_HEMISPHERES, N_ROWS, N_COLUMNS)
        self.tau_us = tau_us
        self.amplitude_lsb = amplitude_lsb
        self.causal = np.zeros(shape)
        self.acausal = np.zeros(shape)
        self.pre_trace = np.zeros(shape)
        self.pre_time_us = np.zeros(shape)
        self.post_trace = np.zeros(N_NEURONS)
        self.post_time_us = np.zeros(N_NEURONS)

    def accumulate(self, routes: SensorRoutes, synapse_labels: np.ndarray, event_time_us: np.ndarray,
                   event_source: np.ndarray, spike_time_us: np.ndarray, spike_neuron: np.ndarray) -> None:
        """Add the pairs formed by time-sorted pre events ``(time, source slice)`` (external
        events and routed neuron spikes) and post spikes ``(time, neuron)``."""
        _accumulate(self.causal, self.acausal, self.pre_trace, self.pre_time_us, self.post_trace,
                    self.post_time_us, synapse_labels.astype(np.int64), routes.ptr, routes.hemisphere,
                    routes.row, routes.label, event_time_us, event_source.astype(np.int64),
                    spike_time_us, spike_neuron.astype(np.int64), self.tau_us, self.amplitude_lsb)

    def readout(self, gain: np.ndarray, offset_lsb: np.ndarray, noise_lsb: float, rng: np.random.Generator,
                hemispheres: tuple[int, ...] = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
        """8-bit CADC reads of the causal and acausal accumulators, shape (2, 256, 256),
        for the given hemispheres (the others read 0): ``offset + gain x accumulated``
        plus Gaussian read noise of ``noise_lsb``, rounded and clipped to 0..255. The
        noise comes from one counter-based stream per read, keyed by a draw of ``rng``."""
        reads = []
        for acc in (self.causal, self.acausal):
            out = np.zeros(acc.shape, np.uint8)
            key = np.uint64(rng.integers(0, 2**63))
            for h in hemispheres:
                _read_sensors(acc[h], gain[h], offset_lsb[h], float(noise_lsb), key + np.uint64(h << 20), out[h])
            reads.append(out)
        return reads[0], reads[1]

    def reset(self, hemisphere: int, rows: np.ndarray) -> None:
        """Discharge the accumulators of the given rows (the PPU's correlation reset)."""
        self.causal[hemisphere, rows] = 0.0
        self.acausal[hemisphere, rows] = 0.0


@numba.njit(cache=True)
def _read_sensors(acc, gain, offset, noise_lsb, key, out):
    """``out = clip(rint(offset + gain * acc + noise), 0, 255)`` over one hemisphere."""
    rows, columns = acc.shape
    for r in range(rows):
        for c in range(columns):
            analog = offset[r, c] + gain[r, c] * acc[r, c]
            if noise_lsb > 0.0:
                analog += noise_lsb * gaussian_at(key, np.uint64(r * columns + c))
            out[r, c] = np.uint8(min(max(np.rint(analog), 0.0), CADC_MAX_LSB))


@numba.njit(cache=True)
def _accumulate(causal, acausal, pre_trace, pre_time, post_trace, post_time, syn_labels,
                ptr, hemi, row, label, ev_time, ev_source, sp_time, sp_neuron, tau, amp):
    n_ev = ev_time.size
    n_sp = sp_time.size
    e = 0
    s = 0
    while e < n_ev or s < n_sp:
        if e < n_ev and (s >= n_sp or ev_time[e] <= sp_time[s]):
            t = ev_time[e]
            src = ev_source[e]
            e += 1
            if src < 0 or src + 1 >= ptr.size:
                continue
            for k in range(ptr[src], ptr[src + 1]):
                h = hemi[k]
                r = row[k]
                for c in range(syn_labels.shape[2]):
                    if syn_labels[h, r, c] != label[k]:
                        continue
                    n = h * syn_labels.shape[2] + c
                    acausal[h, r, c] += amp * post_trace[n] * np.exp(-(t - post_time[n]) / tau)
                    pre_trace[h, r, c] = pre_trace[h, r, c] * np.exp(-(t - pre_time[h, r, c]) / tau) + 1.0
                    pre_time[h, r, c] = t
        else:
            t = sp_time[s]
            n = sp_neuron[s]
            s += 1
            h = n // syn_labels.shape[2]
            c = n % syn_labels.shape[2]
            for r in range(syn_labels.shape[1]):
                if pre_trace[h, r, c] > 0.0:
                    causal[h, r, c] += amp * pre_trace[h, r, c] * np.exp(-(t - pre_time[h, r, c]) / tau)
            post_trace[n] = post_trace[n] * np.exp(-(t - post_time[n]) / tau) + 1.0
            post_time[n] = t
