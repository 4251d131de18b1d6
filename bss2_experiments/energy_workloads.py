"""Inference workloads for energy and latency runs: "run N inferences on a chip and say
what happened".

An :class:`InferenceWorkload` runs inferences ``start .. start + n - 1`` (inference ``i``
always gets the same input, so a resumed measurement continues with the next images) and
returns an :class:`InferenceBatch`: hardware time per inference, the energy model's
per-inference energy and event counts (:mod:`bss2_experiments.energy_model`) and the
latency of each inference (first input event to first output-layer spike, in s).

Workloads are registered by name with :func:`register_workload`; experiments add theirs
(:data:`BUILTIN_WORKLOADS` are imported on first use).

* ``ttfs`` (:mod:`bss2_experiments.ttfs.workload`): the trained Yin-Yang first-spike
  classifier of issue 5 on the emulator through the PyNN backend; its batches also say
  which inferences were classified correctly.
* ``reference``: a 256-246-10 feed-forward time-to-first-spike network with random weights
  (the BSS2 16x16 MNIST layout of Goeltz et al. 2021 / Renner et al. 2024), configured at
  the chip interface: the inference whose event counts anchor the energy model
  (:data:`bss2_experiments.energy_model.REFERENCE_EVENTS`). It classifies nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from emulator.interface import N_ROWS, Chip, ChipConfiguration, EventRouting, RowMode, Stimulus

from .energy_model import DEFAULT_MODEL, EnergyModel, InferenceEnergy, record_run


@dataclass(frozen=True)
class InferenceBatch:
    """What ``n_inferences`` consecutive inferences did (all times in s)."""

    start: int
    energy: InferenceEnergy
    latency_s: np.ndarray
    """Per inference: first output spike minus first input event (s); NaN without output spike."""
    correct: np.ndarray | None = None
    """Per inference: was the sample classified correctly (None for workloads without labels)."""

    @property
    def hardware_time_per_inference_s(self) -> float:
        return self.energy.hardware_time_s


class InferenceWorkload(Protocol):
    """Runs inferences of one experiment on one chip."""

    name: str
    chip: Chip
    model: EnergyModel
    hardware_time_per_inference_s: float
    """Hardware time of one inference (s), known before running."""

    def run(self, n_inferences: int, start: int = 0) -> InferenceBatch:
        """Run inferences ``start .. start + n_inferences - 1``."""
        ...


WORKLOADS: dict[str, Callable[..., InferenceWorkload]] = {}
BUILTIN_WORKLOADS = ("bss2_experiments.ttfs.workload",)
"""Modules that register workloads, imported by :func:`make_workload`."""


def register_workload(name: str):
    """Class decorator: make a workload available as ``bss2 energy --experiment NAME``.
    The factory is called as ``factory(chip=..., seed=..., model=...)``."""
    def add(factory):
        WORKLOADS[name] = factory
        return factory
    return add


def make_workload(name: str, chip: Chip, seed: int = 0, model: EnergyModel = DEFAULT_MODEL,
                  **options) -> InferenceWorkload:
    """The registered workload ``name`` on ``chip``; ``options`` go to its factory."""
    import importlib
    for module in BUILTIN_WORKLOADS:
        importlib.import_module(module)
    if name not in WORKLOADS:
        raise ValueError(f"no inference workload named {name!r}; registered: {', '.join(sorted(WORKLOADS))}")
    return WORKLOADS[name](chip=chip, seed=seed, model=model, **options)


@register_workload("reference")
class ReferenceWorkload:
    """256-246-10 TTFS-style network with random weights: the energy model's anchor.

    Layout (hemisphere 0, hardware units): hidden neurons 0..245 and output neurons
    246..255 share the 256 synapse rows. Input ``i`` (event label 1000 + i) drives row ``i``
    with synapse label 0, matched by the hidden columns; hidden neuron ``j`` drives row ``j``
    with synapse label 1, matched by the output columns. Each row has one sign (drawn with
    p(excitatory) = 0.7), so every presynaptic unit is either excitatory or inhibitory.
    tau_m = tau_syn = 6 us, refractory period 32 us (one spike per neuron and inference),
    8 x 6 us = 48 us per inference. Input ``i`` of an image spikes once at
    2 us + (1 - x_i) x 12 us for pixel intensity x_i in [0, 1]. Weights are uniform in
    1..4 (input -> hidden) and 1..63 (hidden -> output): about a quarter of the hidden
    neurons and two output neurons spike per inference, the first output ~11 us after
    the first input.
    """

    N_INPUT, N_HIDDEN, N_OUTPUT = 256, 246, 10
    INPUT_LABEL_OFFSET = 1000
    DURATION_US = 48.0
    name = "reference"
    hardware_time_per_inference_s = DURATION_US / 1e6
    info = {"network": "256-246-10, random weights (the energy model's reference inference)"}

    def __init__(self, chip: Chip, seed: int = 0, model: EnergyModel = DEFAULT_MODEL):
        self.chip, self.seed, self.model = chip, int(seed), model
        self.config = self._configuration(np.random.default_rng([self.seed, 0]))
        self.output_neurons = np.arange(self.N_HIDDEN, self.N_HIDDEN + self.N_OUTPUT)

    def _configuration(self, rng: np.random.Generator) -> ChipConfiguration:
        cfg = ChipConfiguration()
        neurons = np.arange(self.N_HIDDEN + self.N_OUTPUT)
        n = cfg.neurons
        n.leak_v_leak[neurons], n.threshold_v_threshold[neurons], n.reset_v_reset[neurons] = 214, 322, 190
        n.leak_i_bias[neurons] = 500                                     # tau_m = 3000 / 500 = 6 us
        n.excitatory_input_i_bias_tau[neurons] = n.inhibitory_input_i_bias_tau[neurons] = 50   # 6 us
        n.refractory_period_refractory_time[neurons] = 255               # 255 x 125 ns ~ 32 us
        for flag in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable"):
            getattr(n, flag)[neurons] = True
        syn = cfg.synapses
        hidden, output = np.arange(self.N_HIDDEN), self.N_HIDDEN + np.arange(self.N_OUTPUT)
        syn.row_modes[0] = np.where(rng.random(N_ROWS) < 0.7, RowMode.EXCITATORY, RowMode.INHIBITORY)
        syn.weights[0][:, hidden] = rng.integers(1, 5, (N_ROWS, self.N_HIDDEN))
        syn.weights[0][:self.N_HIDDEN, output] = rng.integers(1, 64, (self.N_HIDDEN, self.N_OUTPUT))
        syn.labels[0][:, output] = 1
        cfg.routing = EventRouting.from_entries(
            [(self.INPUT_LABEL_OFFSET + i, 0, i, 0) for i in range(self.N_INPUT)]
            + [(j, 0, j, 1) for j in range(self.N_HIDDEN)])
        return cfg

    def stimulus(self, n_inferences: int, start: int = 0) -> Stimulus:
        """Inputs of inferences ``start ..``: one spike per pixel of a random image."""
        trials = []
        for i in range(start, start + n_inferences):
            intensity = np.random.default_rng([self.seed, 1, i]).random(self.N_INPUT)
            time_us = 2.0 + (1.0 - intensity) * 12.0
            order = np.argsort(time_us, kind="stable")
            trials.append((time_us[order], self.INPUT_LABEL_OFFSET + order))
        return Stimulus.from_trials(trials)

    def run(self, n_inferences: int, start: int = 0) -> InferenceBatch:
        stimulus = self.stimulus(n_inferences, start)
        result = self.chip.run(self.config, stimulus, self.DURATION_US, seed=self.seed + start)
        first_input_us = np.full(n_inferences, np.inf)
        np.minimum.at(first_input_us, stimulus.trial, stimulus.time_us)
        first_output_us = np.full(n_inferences, np.inf)
        is_output = np.isin(result.spikes.neuron, self.output_neurons)
        np.minimum.at(first_output_us, result.spikes.trial[is_output], result.spikes.time_us[is_output])
        latency_s = np.where(np.isfinite(first_output_us), (first_output_us - first_input_us) / 1e6, np.nan)
        return InferenceBatch(start, record_run(result, self.config, stimulus, self.chip.identity, self.model),
                              latency_s)


if __name__ == "__main__":   # prints the counts behind energy_model.REFERENCE_EVENTS
    from emulator.chip import Emulator

    batch = make_workload("reference", Emulator(chip_id=0)).run(200)
    print(batch.energy.counts.mean(), batch.energy.summary(),
          f"latency median {np.nanmedian(batch.latency_s) * 1e6:.2f} us, "
          f"{np.isnan(batch.latency_s).mean():.0%} without output spike")
