"""Measurement helpers shared by the calibrations; they talk to a chip only through
:mod:`emulator.interface` (``ChipConfiguration``, ``Stimulus``, ``RunResult``, ``Chip``).

Units: potentials in CADC LSB, times in hardware microseconds, parameters in CapMem DAC.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from emulator.interface import (CADC_MAX_LSB, CADC_MIN_SAMPLE_PERIOD_US, CAPMEM_MAX_DAC,
                                N_HEMISPHERES, N_NEURONS, REFRACTORY_CLOCK_MHZ, Chip,
                                ChipConfiguration, EventRouting, ReadoutConfig, RowMode,
                                RunResult, Stimulus, SynapseConfig)

from .errors import MeasurementError

CADC_PERIOD_US = CADC_MIN_SAMPLE_PERIOD_US
"""All-neuron traces are sampled as fast as the CADC allows (~0.54 us)."""
EXTERNAL_LABEL_BASE = 1024
"""Input events of measurements use labels from here on, clear of neuron labels 0..511."""


class Probe:
    """A chip plus the bookkeeping of a calibration: a reproducible seed per run and a run
    counter."""

    def __init__(self, chip: Chip, seed: int = 0):
        self.chip = chip
        self._seeds = itertools.count(seed * 1_000_003)
        self.n_runs = 0

    def run(self, config: ChipConfiguration, stimulus: Stimulus, duration_us: float) -> RunResult:
        result = self.chip.run(config, stimulus, duration_us, seed=next(self._seeds))
        self.n_runs += 1
        return result


def quiet(config: ChipConfiguration) -> ChipConfiguration:
    """A copy of ``config`` for measurements: no spikes, no inputs, no extra currents, no
    synapses or routing, CADC sampling every ~0.54 us; calibrated CADC offsets kept."""
    out = config.copy()
    n = out.neurons
    for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable",
                 "excitatory_input_enable_coba_mode", "inhibitory_input_enable_coba_mode",
                 "constant_current_enable", "adaptation_enable", "exponential_enable",
                 "event_output_enable"):
        getattr(n, name)[:] = False
    out.synapses = SynapseConfig()
    out.routing = EventRouting()
    out.plasticity = ()
    out.readout = ReadoutConfig(cadc_period_us=CADC_PERIOD_US,
                                cadc_channel_offset=config.readout.cadc_channel_offset.copy())
    return out


@dataclass
class Trace:
    """CADC samples of all neurons: ``time_us`` (K,), ``samples`` (trials, K, 512) float,
    ``valid`` (trials, K, 512) bool: not clipped at either end of the 8-bit range."""

    time_us: np.ndarray
    samples: np.ndarray
    valid: np.ndarray
    result: RunResult


def cadc_trace(probe: Probe, config: ChipConfiguration, stimulus: Stimulus, duration_us: float) -> Trace:
    """Run and return the CADC trace of every neuron (config.readout must enable the CADC)."""
    result = probe.run(config, stimulus, duration_us)
    if result.cadc is None or result.cadc.samples.size == 0:
        raise MeasurementError(
            "the chip returned no CADC samples; the measurement configuration sets "
            "readout.cadc_period_us, so the chip adapter must honour it")
    samples = np.asarray(result.cadc.samples, dtype=float)
    valid = (samples > 0) & (samples < CADC_MAX_LSB)
    return Trace(np.asarray(result.cadc.time_us, dtype=float), samples, valid, result)


def mean_cadc(probe: Probe, config: ChipConfiguration, duration_us: float = 5.0, trials: int = 2) -> np.ndarray:
    """Average CADC read of every neuron over ``trials`` x ``duration_us`` of samples (CADC LSB)."""
    trace = cadc_trace(probe, config, Stimulus.empty(trials), duration_us)
    return trace.samples.mean(axis=(0, 1))


def drive_rows(config: ChipConfiguration, mode: RowMode, rows: range, weight: int, label_offset: int = 0
               ) -> np.ndarray:
    """Make synapse rows ``rows`` of both hemispheres drive all 512 neurons with ``weight``
    and sign ``mode``; returns the input label of each row (one event reaches both hemispheres)."""
    labels = EXTERNAL_LABEL_BASE + label_offset + np.arange(len(rows))
    for h in range(N_HEMISPHERES):
        for row in rows:
            config.synapses.weights[h, row, :] = weight
            config.synapses.labels[h, row, :] = 0
            config.synapses.row_modes[h, row] = mode
    entries = [(label, h, row, 0) for label, row in zip(labels, rows) for h in range(N_HEMISPHERES)]
    old = [np.asarray(a) for a in (config.routing.source_label, config.routing.hemisphere,
                                    config.routing.row, config.routing.synapse_label)]
    config.routing = EventRouting.from_entries(list(zip(*(a.tolist() for a in old))) + entries)
    return labels


def drive_both_signs(config: ChipConfiguration, rows_per_sign: int, weight: int) -> tuple[np.ndarray, np.ndarray]:
    """Enable both synaptic inputs of all neurons and let rows ``0..rows_per_sign-1``
    excite and the next ``rows_per_sign`` rows inhibit; returns (excitatory, inhibitory) labels."""
    config.neurons.excitatory_input_enable[:] = True
    config.neurons.inhibitory_input_enable[:] = True
    excitatory = drive_rows(config, RowMode.EXCITATORY, range(rows_per_sign), weight)
    inhibitory = drive_rows(config, RowMode.INHIBITORY, range(rows_per_sign, 2 * rows_per_sign), weight,
                            label_offset=rows_per_sign)
    return excitatory, inhibitory


def burst(labels: np.ndarray, t_us: float, repeats: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Events for every label in ``labels``, ``repeats`` times, at ``t_us`` (times, labels)."""
    labels = np.tile(np.asarray(labels), repeats)
    return np.full(labels.size, float(t_us)), labels


def _spike_distance(trace: Trace, forward: bool) -> np.ndarray:
    """For every CADC sample, the time (us) to the neuron's next spike (``forward``) or
    since its last spike, in that trial; ``inf`` where there is none; (trials, K, 512)."""
    spikes = trace.result.spikes
    shape = trace.samples.shape
    if len(spikes.time_us) == 0:
        return np.full(shape, np.inf)
    group = np.asarray(spikes.trial, dtype=np.int64) * N_NEURONS + np.asarray(spikes.neuron, dtype=np.int64)
    times = np.asarray(spikes.time_us, dtype=float)
    order = np.lexsort((times, group))
    group, times = group[order], times[order]
    span = float(max(trace.time_us.max(initial=0.0), times.max())) + 1.0
    sample_group = np.arange(shape[0])[:, None, None] * N_NEURONS + np.arange(N_NEURONS)[None, None, :]
    query = sample_group * span + trace.time_us[None, :, None]
    if forward:
        index = np.searchsorted(group * span + times, query, side="right")
        safe = np.minimum(index, group.size - 1)
        found = (index < group.size) & (group[safe] == sample_group)
        return np.where(found, times[safe] - trace.time_us[None, :, None], np.inf)
    index = np.searchsorted(group * span + times, query, side="right") - 1
    safe = np.maximum(index, 0)
    found = (index >= 0) & (group[safe] == sample_group)
    return np.where(found, trace.time_us[None, :, None] - times[safe], np.inf)


def time_since_spike(trace: Trace) -> np.ndarray:
    """For every CADC sample, the time (us) since the neuron's last spike in that trial,
    ``inf`` before its first spike; shape (trials, K, 512)."""
    return _spike_distance(trace, forward=False)


def time_to_spike(trace: Trace) -> np.ndarray:
    """For every CADC sample, the time (us) until the neuron's next spike in that trial,
    ``inf`` after its last spike; shape (trials, K, 512)."""
    return _spike_distance(trace, forward=True)


def first_spike_us(trace: Trace) -> np.ndarray:
    """Time (us) of every neuron's first spike per trial, ``inf`` if silent; (trials, 512)."""
    spikes = trace.result.spikes
    first = np.full((trace.samples.shape[0], N_NEURONS), np.inf)
    np.minimum.at(first, (np.asarray(spikes.trial, dtype=np.int64), np.asarray(spikes.neuron, dtype=np.int64)),
                  np.asarray(spikes.time_us, dtype=float))
    return first


def refractory_us(config: ChipConfiguration) -> np.ndarray:
    """Refractory time per neuron (us) from the digital counter and clock (a register fact)."""
    clock = np.asarray(REFRACTORY_CLOCK_MHZ)[config.neurons.refractory_period_input_clock]
    return config.neurons.refractory_period_refractory_time / clock


@dataclass
class PotentialLine:
    """Per-neuron straight line CADC read = ``intercept + slope * v_leak DAC``, measured at
    two leak DAC values; used to place a membrane near a wanted read before the leak
    potential itself is calibrated (a linear prediction in calix' sense)."""

    slope: np.ndarray
    intercept: np.ndarray

    def dac_for(self, cadc_lsb: float | np.ndarray) -> np.ndarray:
        """The leak DAC per neuron predicted to rest at ``cadc_lsb``, clipped to 0..1022."""
        dac = (np.asarray(cadc_lsb, dtype=float) - self.intercept) / self.slope
        return np.clip(np.rint(dac), 0, CAPMEM_MAX_DAC).astype(np.int32)


def measure_potential_line(probe: Probe, config: ChipConfiguration, dacs: tuple[int, int] = (200, 450)
                           ) -> PotentialLine:
    """Resting CADC reads at two leak DAC values -> :class:`PotentialLine`. A neuron whose
    read does not rise (a broken cell) gets the median slope; its own calibration steps
    will then report it as failed."""
    cfg = quiet(config)
    reads = []
    for dac in dacs:
        cfg.neurons.leak_v_leak[:] = dac
        reads.append(mean_cadc(probe, cfg))
    slope = (reads[1] - reads[0]) / (dacs[1] - dacs[0])
    slope = np.where(slope > 0, slope, np.median(slope))
    return PotentialLine(slope, reads[0] - slope * dacs[0])
