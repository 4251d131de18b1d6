"""Per-trial spikes of a batched run (:func:`bss2_experiments.pynn.run_batch`)."""
from __future__ import annotations

import numpy as np

from emulator.interface import N_NEURONS, RunResult, Stimulus
from . import scaling


class BatchResult:
    """Spikes of every neuron population in every trial of a batch, in biological ms from
    the start of each trial. ``result[pop]`` is ``spike_times(pop)``."""

    def __init__(self, compiled, run: RunResult, n_trials: int, stimulus: Stimulus | None = None,
                 chip_identity: str | None = None, calibration=None):
        self.n_trials = n_trials
        self.run = run
        """The chip's :class:`emulator.interface.RunResult` (hardware units)."""
        self.config = compiled.config
        """The :class:`emulator.interface.ChipConfiguration` the trials ran with."""
        self.stimulus = stimulus
        """The input events played (:class:`emulator.interface.Stimulus`, hardware us)."""
        self.chip_identity = chip_identity
        """``Chip.identity`` of the chip the trials ran on (e.g. ``'emulator:0'``)."""
        self.calibration = calibration
        """The ``calibration.CalibrationResult`` the neurons ran with (None: uncalibrated
        cell types only); ``calibration.achieved`` holds e.g. the calibrated synaptic
        strengths ``syn_strength_exc`` / ``syn_strength_inh``."""
        placement = compiled.mapping.placement
        logical_of_chip = np.full(N_NEURONS, -1, np.int64)
        logical_of_chip[placement] = np.arange(placement.size)
        self._offset = compiled.neuron_offset
        self._trial = run.spikes.trial
        self._logical = logical_of_chip[run.spikes.neuron]
        self._t_ms = scaling.us_to_ms(run.spikes.time_us)

    def _select(self, population):
        if population not in self._offset:
            raise KeyError(f"{population.label} is not a neuron population of this network")
        off = self._offset[population]
        sel = (self._logical >= off) & (self._logical < off + population.size)
        return self._trial[sel], self._logical[sel] - off, self._t_ms[sel]

    def spike_counts(self, population) -> np.ndarray:
        """Spike counts, shape (n_trials, population.size)."""
        trial, index, _ = self._select(population)
        counts = np.zeros((self.n_trials, population.size), np.int64)
        np.add.at(counts, (trial, index), 1)
        return counts

    def first_spike_times(self, population) -> np.ndarray:
        """First spike of each neuron in each trial (biological ms from the trial start),
        shape (n_trials, population.size); ``inf`` where a neuron did not spike."""
        trial, index, t = self._select(population)
        first = np.full((self.n_trials, population.size), np.inf)
        np.minimum.at(first, (trial, index), t)
        return first

    def energy(self):
        """The emulator energy model's account of the trials (one trial = one inference):
        :class:`bss2_experiments.energy_model.InferenceEnergy` (J, s)."""
        from ..energy_model import inference_energy
        if self.stimulus is None:
            raise ValueError("this BatchResult was made without its stimulus; the energy model needs the input events")
        return inference_energy(self.run, self.config, self.stimulus)

    def spike_times(self, population) -> list[list[np.ndarray]]:
        """``[trial][neuron]`` -> spike times (biological ms, sorted)."""
        trial, index, t = self._select(population)
        order = np.lexsort((t, index, trial))
        trial, index, t = trial[order], index[order], t[order]
        bounds = np.searchsorted(trial * population.size + index, np.arange(self.n_trials * population.size + 1))
        return [[t[bounds[k * population.size + i]:bounds[k * population.size + i + 1]]
                 for i in range(population.size)] for k in range(self.n_trials)]

    def __getitem__(self, population):
        return self.spike_times(population)
