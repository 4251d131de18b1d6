"""Measure the correlation sensors' amplitude and time constant per quadrant, through the
chip interface only.

The protocol follows calix (``calix.spiking.correlation_measurement``, Electronic
Visions, github electronicvisions/calix): pre- and postsynaptic spikes are paired at
controlled delays, ``n_pairs`` times with a wait ``wait_us`` between pairs; the
accumulated causal (pre before post) and acausal (post before pre) correlation is read
through the CADC and compared with the baseline read of discharged sensors; an exponential
``n x amplitude x exp(-|delay| / tau)`` is fitted; amplitude means CADC LSB per correlated
pair at delay 0. Like calix, only a few columns per quadrant are measured (16 here, spread
over the quadrant, every synapse row of them) and the quadrant's value is the median.

Differences, and why:

* calix fires the postsynaptic neuron digitally; here a burst on 16 "kick" rows of
  weight 63 makes it fire (the chip interface has no artificial post pulse). Each
  column's actual pre-post delays are taken from its recorded spikes, and columns that do
  not fire exactly once per kick are left out.
* One run measures every delay: the remaining 240 rows form one group per delay
  (interleaved rows), each group's pre event placed at its own delay from the common post
  spike. The run's two trials repeat the measurement with new temporal noise.
* Pairs are only ``wait_us`` >= ~3 tau apart (calix waits 500 us), so each trace still
  holds ``q = exp(-wait / tau)`` of the previous pair's; the fit divides it out exactly:
  ``n`` pairs accumulate ``sum_k (1 - q^k) / (1 - q)`` times one pair's correlation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emulator.interface import (CADC_MAX_LSB, N_COLUMNS, N_HEMISPHERES, N_ROWS, WEIGHT_MAX,
                                ChipConfiguration, CorrelationSensorConfig, EventRouting, RowMode, RunResult,
                                Stimulus)

from .errors import MeasurementError
from .measure import EXTERNAL_LABEL_BASE, Probe

COLUMNS_PER_QUADRANT = 16
"""Measured columns per quadrant (calix measures 4 quads = 16 columns per quadrant)."""
KICK_ROWS = 16
"""Rows 0..15 of each hemisphere fire the measured neurons."""
DELAY_FRACTIONS = (0.15, 0.3, 0.6, 1.0, 1.5)
"""Pre-post delays as fractions of the target time constant, each causal and acausal."""
SIGNAL_AT_ZERO_LSB = 40.0
"""Accumulated correlation at delay 0 at the target amplitude (calix: 70 LSB), which sets
the number of pairs ``n = 40 / amplitude``: inside the 8-bit range at 2x the target, with
the pile-up of earlier pairs and the per-synapse gain."""
MIN_SIGNAL_LSB = 1.5
"""Points (column, delay) with a smaller mean signal are left out of the fit (quantisation)."""
KICK_LABEL = EXTERNAL_LABEL_BASE
PRE_LABEL_BASE = EXTERNAL_LABEL_BASE + 16
KICK_SYNAPSE_LABEL, PRE_SYNAPSE_LABEL = 1, 2
T0_US = 10.0
MAX_LATENCY_US = 5.0
"""A measured neuron must fire within this time after its kick."""


def measured_columns() -> np.ndarray:
    """(4, 16) chip neurons measured per quadrant: every 8th column of each quadrant."""
    starts = np.array([0, 128, 256, 384])
    return starts[:, None] + 8 * np.arange(COLUMNS_PER_QUADRANT)[None, :] + 3


def delays_us(tau_target_us: float) -> np.ndarray:
    """Signed pre-post delays (us, > 0: pre before post), one per row group."""
    d = np.asarray(DELAY_FRACTIONS) * tau_target_us
    return np.concatenate([d, -d])


def row_groups(n_groups: int) -> list[np.ndarray]:
    """Rows of each delay group: the non-kick rows, interleaved."""
    rows = np.arange(KICK_ROWS, N_ROWS)
    return [rows[g::n_groups] for g in range(n_groups)]


def measurement_config(n_groups: int, sensors: CorrelationSensorConfig | None = None) -> ChipConfiguration:
    """Measured neurons fire on a kick (uncalibrated DACs with a wide threshold margin);
    their synapses carry the pre labels (weight 0, so pre events do not move the membranes)."""
    config = ChipConfiguration()
    neurons = measured_columns().ravel()
    n = config.neurons
    n.leak_v_leak[neurons] = 250
    n.reset_v_reset[neurons] = 220
    n.threshold_v_threshold[neurons] = 400
    n.threshold_enable[neurons] = True
    n.excitatory_input_enable[neurons] = True
    n.excitatory_input_i_bias_tau[neurons] = 150          # tau_syn ~2 us: one spike per kick
    n.excitatory_input_i_bias_gm[neurons] = 1022
    n.refractory_period_input_clock[neurons] = 1
    n.refractory_period_refractory_time[neurons] = 100     # 12.5 us
    n.event_output_enable[:] = False
    syn = config.synapses
    routes = []
    for h in range(N_HEMISPHERES):
        cols = neurons[neurons // N_COLUMNS == h] % N_COLUMNS
        syn.row_modes[h, :] = RowMode.EXCITATORY
        for r in range(KICK_ROWS):
            syn.weights[h, r, cols] = WEIGHT_MAX
            syn.labels[h, r, cols] = KICK_SYNAPSE_LABEL
            routes.append((KICK_LABEL, h, r, KICK_SYNAPSE_LABEL))
        for g, rows in enumerate(row_groups(n_groups)):
            syn.labels[h, rows[:, None], cols[None, :]] = PRE_SYNAPSE_LABEL
            routes += [(PRE_LABEL_BASE + g, h, int(r), PRE_SYNAPSE_LABEL) for r in rows]
    config.routing = EventRouting.from_entries(routes)
    config.readout.correlation_at_end = True
    config.correlation = sensors
    return config


@dataclass
class Pilot:
    """What the pilot run found: baseline reads (2, 256, 256) of discharged sensors, the
    kick-to-spike latency per measured neuron (4, 16) and which neurons are usable."""

    baseline_lsb: np.ndarray
    latency_us: np.ndarray
    usable: np.ndarray


@dataclass
class CorrelationMeasurement:
    """Per-quadrant amplitude (CADC LSB per pair at delay 0) and time constant (us), with
    the per-column values they are the median of ((4, 16), NaN where not measured)."""

    amplitude_lsb: np.ndarray
    tau_us: np.ndarray
    column_amplitude_lsb: np.ndarray
    column_tau_us: np.ndarray


class CorrelationProtocol:
    """Pairing protocol for one target time constant and amplitude (they set the delays,
    the pair count and the wait); :meth:`measure` gives amplitude and tau per quadrant."""

    def __init__(self, probe: Probe, tau_target_us: float, amplitude_target_lsb: float):
        self.probe = probe
        self.delays_us = delays_us(tau_target_us)
        self.n_pairs = int(np.ceil(SIGNAL_AT_ZERO_LSB / amplitude_target_lsb))
        self.wait_us = float(max(40.0, 3.0 * tau_target_us + 10.0))
        self.groups = row_groups(self.delays_us.size)
        self.pilot = self._pilot()

    def _run(self, sensors: CorrelationSensorConfig | None, stimulus: Stimulus, duration_us: float) -> RunResult:
        result = self.probe.run(measurement_config(self.delays_us.size, sensors), stimulus, duration_us)
        if result.correlation is None:
            raise MeasurementError("the chip returned no correlation reads; the measurement configuration sets "
                                   "readout.correlation_at_end, so the chip adapter must honour it")
        if np.any(result.dropped_events):
            raise MeasurementError(f"the chip dropped {int(np.sum(result.dropped_events))} input events of the "
                                   f"correlation measurement; the protocol sends few events, check the chip adapter")
        return result

    def _pilot(self, kicks: int = 8) -> Pilot:
        """Trial 0 without events (baseline), trial 1 with kicks only (latency, one spike per kick)."""
        kick_times = T0_US + self.wait_us * np.arange(kicks)
        stim = Stimulus.from_trials([(np.zeros(0), np.zeros(0, np.int64)), (kick_times, KICK_LABEL)])
        result = self._run(None, stim, kick_times[-1] + self.wait_us)
        columns = measured_columns()
        latency = self._spike_latency(result, 1, kick_times, columns)
        usable = np.isfinite(latency) & (result.spikes.counts()[0][columns] == 0)
        baseline = result.correlation.causal[0].astype(float)
        return Pilot(baseline, latency, usable)

    @staticmethod
    def _spike_latency(result: RunResult, trial: int, kick_times: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Mean time (us) from each kick to the neuron's spike, (4, 16); NaN unless the
        neuron fired exactly once per kick, within :data:`MAX_LATENCY_US`."""
        latency = np.full(columns.shape, np.nan)
        for index, neuron in np.ndenumerate(columns):
            spikes = result.spikes.times_of(int(neuron), trial)
            ok = spikes.size == kick_times.size and np.all((spikes > kick_times)
                                                           & (spikes < kick_times + MAX_LATENCY_US))
            if ok:
                latency[index] = float(np.mean(spikes - kick_times))
        return latency

    def stimulus(self) -> tuple[Stimulus, np.ndarray, np.ndarray, float]:
        """Kicks and the pre events of every group; returns the stimulus (2 trials), kick
        times, pre times per group (groups, n_pairs) and the duration."""
        latency = float(np.nanmedian(self.pilot.latency_us[self.pilot.usable]))
        start = T0_US + float(np.max(np.abs(self.delays_us)))
        post = start + self.wait_us * np.arange(self.n_pairs)
        kicks = post - latency
        pre = post[None, :] - self.delays_us[:, None]
        times = np.concatenate([kicks, pre.ravel()])
        labels = np.concatenate([np.full(kicks.size, KICK_LABEL),
                                 np.repeat(PRE_LABEL_BASE + np.arange(self.delays_us.size), self.n_pairs)])
        order = np.argsort(times, kind="stable")
        trial = (times[order], labels[order])
        duration = float(post[-1] + np.max(np.abs(self.delays_us)) + self.wait_us)
        return Stimulus.from_trials([trial, trial]), kicks, pre, duration

    def measure(self, sensors: CorrelationSensorConfig) -> CorrelationMeasurement:
        """Amplitude and time constant of every quadrant with the biases ``sensors``."""
        if not self.pilot.usable.any(axis=1).all():
            raise MeasurementError("no measured neuron of some quadrant fired exactly once per kick; the "
                                   "correlation measurement needs at least one per quadrant")
        stim, kicks, pre, duration = self.stimulus()
        result = self._run(sensors, stim, duration)
        columns = measured_columns()
        column_amp = np.full(columns.shape, np.nan)
        column_tau = np.full(columns.shape, np.nan)
        for index, neuron in np.ndenumerate(columns):
            if not self.pilot.usable[index]:
                continue
            delays, signal = self._column_signal(result, int(neuron), kicks, pre)
            if delays is not None:
                column_amp[index], column_tau[index] = self._fit(delays, signal)
        if not np.isfinite(column_tau).any(axis=1).all():
            raise MeasurementError("no column of some quadrant gave a usable correlation trace (signal below "
                                   f"{MIN_SIGNAL_LSB} LSB at every delay or saturated); the biases are far "
                                   "from the target")
        with np.errstate(all="ignore"):
            amp = np.nanmedian(column_amp, axis=1)
            tau = np.nanmedian(column_tau, axis=1)
        return CorrelationMeasurement(amp, tau, column_amp, column_tau)

    def _column_signal(self, result: RunResult, neuron: int, kicks: np.ndarray, pre: np.ndarray):
        """Actual |delay| (us) and mean accumulated signal (LSB) of every delay group of one
        column, averaged over rows and the two trials; None if the neuron misfired."""
        h, c = divmod(neuron, N_COLUMNS)
        delays, signal = [], []
        for trial in range(2):
            post = result.spikes.times_of(neuron, trial)
            if post.size != kicks.size or np.any((post - kicks <= 0) | (post - kicks >= MAX_LATENCY_US)):
                return None, None
            for g, rows in enumerate(self.groups):
                causal = self.delays_us[g] > 0
                reads = (result.correlation.causal if causal else result.correlation.acausal)[trial, h, rows, c]
                if np.any(reads >= CADC_MAX_LSB):
                    signal.append(np.nan)
                else:
                    signal.append(float(np.mean(reads - self.pilot.baseline_lsb[h, rows, c])))
                delays.append(float(np.mean(np.abs(post - pre[g]))))
        return np.asarray(delays), np.asarray(signal)

    def _fit(self, delays: np.ndarray, signal: np.ndarray) -> tuple[float, float]:
        """Weighted straight line through log(signal) over |delay|: tau from the slope,
        amplitude per pair from the intercept with the pile-up of earlier pairs divided out."""
        ok = np.isfinite(signal) & (signal >= MIN_SIGNAL_LSB)
        if np.count_nonzero(ok) < 3 or np.ptp(delays[ok]) <= 0:
            return np.nan, np.nan
        slope, intercept = np.polyfit(delays[ok], np.log(signal[ok]), 1, w=signal[ok])
        if slope >= 0:
            return np.nan, np.nan
        tau = -1.0 / slope
        return float(np.exp(intercept) / pile_up(self.n_pairs, self.wait_us, tau)), float(tau)


def pile_up(n_pairs: int, wait_us: float, tau_us: float) -> float:
    """Correlation of ``n_pairs`` pairs ``wait_us`` apart in units of one isolated pair's:
    pair ``k`` sees its own pre (post) trace plus the decayed ones of the ``k - 1`` before."""
    q = np.exp(-wait_us / tau_us)
    k = np.arange(1, n_pairs + 1)
    return float(np.sum((1.0 - q ** k) / (1.0 - q)))
