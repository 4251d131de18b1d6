"""Recorder: turns the chip's recordings of each run into the data pyNN.recording puts
into neo Blocks (spike times in biological ms; ``v`` in mV for the standard cells, in
ADC LSB for HXNeuron / CalibHXNeuron*)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyNN import recording

from emulator.interface import CADC_MIN_SAMPLE_PERIOD_US, MADC_SAMPLE_RATE_MHZ
from . import scaling, simulator

MADC_PERIOD_MS = float(scaling.us_to_ms(1.0 / MADC_SAMPLE_RATE_MHZ))
"""MADC sampling interval in biological ms (~0.034 ms)."""
CADC_MIN_PERIOD_MS = float(scaling.us_to_ms(CADC_MIN_SAMPLE_PERIOD_US))


@dataclass
class RunData:
    """What one run recorded for one population. ``spike_index`` indexes the population;
    ``signals[variable] = (values[n_samples, n_columns], column_index)`` with
    ``column_index`` indexing the population."""

    spike_index: np.ndarray
    spike_times_ms: np.ndarray
    signals: dict = field(default_factory=dict)


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file=file)
        self.device = "madc"
        self._runs: list[RunData] = []

    def set_device(self, device: str, sampling_interval: float | None) -> None:
        """Pick the analog readout: ``'madc'`` (fixed ~29.4 MSa/s hardware rate) or
        ``'cadc'`` (``sampling_interval`` biological ms, >= the CADC's fastest period)."""
        if device == "madc":
            if sampling_interval is not None:
                raise NotImplementedError("the MADC samples at a fixed rate; use device='cadc' to choose a "
                                          "sampling_interval")
            interval = MADC_PERIOD_MS
        else:
            interval = CADC_MIN_PERIOD_MS if sampling_interval is None else float(sampling_interval)
            if interval < CADC_MIN_PERIOD_MS - 1e-12:
                raise ValueError(f"CADC sampling_interval {interval} ms is faster than the CADC allows "
                                 f"(>= {CADC_MIN_PERIOD_MS:.4f} ms)")
        analog = [v for v in self.recorded if v.name != "spikes"]
        if analog and (device != self.device or abs(interval - self.sampling_interval) > 1e-12):
            raise ValueError(f"{self.population.label}: all analog variables of a population use one device "
                             f"and sampling interval (already {self.device}, {self.sampling_interval} ms)")
        self.device, self.sampling_interval = device, interval

    def analog_indices(self) -> dict[str, np.ndarray]:
        """Recorded analog variable -> sorted population indices."""
        return {v.name: np.sort(self.population.id_to_index(np.array(sorted(ids), dtype=int)))
                for v, ids in self.recorded.items() if v.name != "spikes" and ids}

    def records_spikes(self) -> bool:
        return any(v.name == "spikes" and ids for v, ids in self.recorded.items())

    def store_run(self, data: RunData) -> None:
        self._runs.append(data)

    def _record(self, variable, new_ids, sampling_interval=None):
        """Nothing to do now: the readout is configured from ``recorded`` at run()."""

    def _get_spiketimes(self, ids, clear=False):
        """``(id_array, times)`` of the spikes of ``ids`` (pyNN.recording's fast path)."""
        ids = np.asarray(list(ids), dtype=int)
        index = np.concatenate([r.spike_index for r in self._runs]) if self._runs else np.zeros(0, int)
        times = np.concatenate([r.spike_times_ms for r in self._runs]) if self._runs else np.zeros(0)
        cell_ids = np.asarray(self.population.all_cells, dtype=int)[index]
        keep = np.isin(cell_ids, ids)
        if clear:
            self._runs = []
        return cell_ids[keep], times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        wanted = self.population.id_to_index(np.array(list(ids), dtype=int)) if len(ids) else np.zeros(0, int)
        blocks = []
        for run in self._runs:
            values, columns = run.signals.get(variable.name, (None, None))
            if values is not None:
                pos = np.searchsorted(columns, np.atleast_1d(wanted))
                blocks.append(values[:, pos])
        if clear:
            self._runs = []
        if not blocks:
            return np.zeros((0, len(ids))), None
        return np.concatenate(blocks, axis=0), None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        cell_ids, _ = self._get_spiketimes(ids)
        counts = dict.fromkeys((int(i) for i in ids), 0)
        for cell, n in zip(*np.unique(cell_ids, return_counts=True)):
            counts[int(cell)] = int(n)
        return counts

    def _clear_simulator(self):
        self._runs = []

    def _reset(self):
        self.device = "madc"
        self.sampling_interval = self._simulator.state.dt
