"""Correlation sensors: the causal and acausal spike-pair traces inside every synapse.

Each synapse holds two analog accumulators that the PPU reads through the CADC
(libnux ``correlation.h``; Friedmann et al. 2017, IEEE TBioCAS 11:128). A presynaptic event
that the synapse passes (its row receives the event and the labels match; the weight does
not matter) leaves a trace decaying with ``tau``; a postsynaptic spike adds
``amplitude x pre-trace`` to the causal accumulator, and symmetrically a pre event adds
``amplitude x post-trace`` to the acausal one. Readouts are 8 bit: ``offset + gain x
accumulated`` with per-synapse fixed-pattern noise, saturating at 255. The sensors only
change on events and spikes, so they are updated from a segment's event and spike lists
after the membrane integration of that segment (weights only change at PPU calls, between
segments).

Amplitude and time constant are set per CapMem quadrant by two bias currents
(:class:`emulator.interface.CorrelationSensorConfig`, names after calix
``calix.spiking.correlation``). This emulator's transfer model, per quadrant ``q``::

    tau_us[q]        = g_tau[q] * 5 us   * (240 / i_bias_ramp_dac)^p_tau[q]
    amplitude_lsb[q] = g_amp[q] * 0.5    * (200 / i_bias_store_dac)^p_amp[q] * v_res_meas_mv / 900

(DAC values below 1 count as 1). A bias current discharges (ramp) or limits the charge
moved into (store) a capacitor, hence the inverse power laws; calix searches both biases
with ``inverted=True`` for the same reason. On the design chip (``g = p = 1``) DAC 240 and
200 give calix' default target, 5 us and 0.5 LSB, and calix' feasible targets (2..30 us,
0.2..2.0 LSB per pair) lie at ramp DAC 40..600 and store DAC 50..500. The per-quadrant
deviations ``g`` (log-normal, sigma 0.25) and ``p`` (N(1, 0.05)) are fixed-pattern noise
(:mod:`emulator.fixed_pattern`). Without a configuration (``ChipConfiguration.correlation
= None``) every quadrant has the calibrated nominal values :data:`TAU_CORRELATION_US` and
:data:`AMPLITUDE_LSB` exactly (calix' default calibration applied).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .interface import (CADC_MAX_LSB, N_COLUMNS, N_HEMISPHERES, N_NEURONS, N_QUADRANTS, N_ROWS,
                        CorrelationSensorConfig, EventRouting, RowMode)
from .random_streams import gaussian_at

TAU_CORRELATION_US = 5.0
"""Time constant of calix' default correlation calibration (``CorrelationCalibTarget``)."""
AMPLITUDE_LSB = 0.5
"""Amplitude (CADC LSB per correlated pair at delay 0) of calix' default calibration."""
RAMP_REFERENCE_DAC = 240
"""Ramp bias at which the design chip's time constant is :data:`TAU_CORRELATION_US`."""
STORE_REFERENCE_DAC = 200
"""Store bias at which the design chip's amplitude is :data:`AMPLITUDE_LSB`."""
V_RES_MEAS_REFERENCE_MV = 900.0
"""calix' recommended ``v_res_meas`` (0.9 V), at which the amplitudes above hold."""


def sensor_parameters(config: CorrelationSensorConfig | None, tau_gain: np.ndarray, tau_exponent: np.ndarray,
                      amplitude_gain: np.ndarray, amplitude_exponent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-quadrant ``(amplitude_lsb, tau_us)``, shape (4,) each, from the bias DACs through
    the transfer model of the module docstring with this chip's per-quadrant deviations;
    ``config=None``: the calibrated nominal values."""
    if config is None:
        return np.full(N_QUADRANTS, AMPLITUDE_LSB), np.full(N_QUADRANTS, TAU_CORRELATION_US)
    ramp = np.maximum(np.asarray(config.i_bias_ramp_dac, float), 1.0)
    store = np.maximum(np.asarray(config.i_bias_store_dac, float), 1.0)
    tau = tau_gain * TAU_CORRELATION_US * (RAMP_REFERENCE_DAC / ramp) ** tau_exponent
    amplitude = (amplitude_gain * AMPLITUDE_LSB * (STORE_REFERENCE_DAC / store) ** amplitude_exponent
                 * config.v_res_meas_mv / V_RES_MEAS_REFERENCE_MV)
    return amplitude, tau


def _per_column(per_quadrant: float | np.ndarray) -> np.ndarray:
    """(2, 256) array of a per-quadrant (4,) or global value: quadrant of ``(h, c)`` is
    ``2 h + c // 128``."""
    q = np.broadcast_to(np.asarray(per_quadrant, float), (N_QUADRANTS,))
    return np.repeat(q.reshape(N_HEMISPHERES, 2), N_COLUMNS // 2, axis=1)


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
    """The accumulators and traces of all 131,072 synapses of one trial; ``tau_us`` and
    ``amplitude_lsb`` are one value or one per quadrant (4,)."""

    def __init__(self, tau_us: float | np.ndarray = TAU_CORRELATION_US,
                 amplitude_lsb: float | np.ndarray = AMPLITUDE_LSB):
        shape = (N_HEMISPHERES, N_ROWS, N_COLUMNS)
        self.tau_us = _per_column(tau_us)
        self.amplitude_lsb = _per_column(amplitude_lsb)
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
    """Pairs of one segment; ``tau`` and ``amp`` are per column, (2, 256)."""
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
                    tau_c = tau[h, c]
                    acausal[h, r, c] += amp[h, c] * post_trace[n] * np.exp(-(t - post_time[n]) / tau_c)
                    pre_trace[h, r, c] = pre_trace[h, r, c] * np.exp(-(t - pre_time[h, r, c]) / tau_c) + 1.0
                    pre_time[h, r, c] = t
        else:
            t = sp_time[s]
            n = sp_neuron[s]
            s += 1
            h = n // syn_labels.shape[2]
            c = n % syn_labels.shape[2]
            tau_c = tau[h, c]
            amp_c = amp[h, c]
            for r in range(syn_labels.shape[1]):
                if pre_trace[h, r, c] > 0.0:
                    causal[h, r, c] += amp_c * pre_trace[h, r, c] * np.exp(-(t - pre_time[h, r, c]) / tau_c)
            post_trace[n] = post_trace[n] * np.exp(-(t - post_time[n]) / tau_c) + 1.0
            post_time[n] = t
