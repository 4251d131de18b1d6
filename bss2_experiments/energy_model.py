"""Energy model of an emulated BrainScaleS-2 run: static power plus per-event energies.

The emulator has no power supply to measure, so it reports energy from this model:

    E_trial = P_static * T_trial + n_spike * E_spike + n_syn * E_syn + n_ppu * E_ppu + n_io * E_io

with ``T_trial`` the trial's hardware time (one trial = one inference) and the counts taken
from the run (:func:`count_events`). Units: W, J, s; hardware microseconds are converted
to seconds here, once (``duration_us / 1e6``).

Parameters and their sources
----------------------------
* Anchor: 16x16 MNIST (256-246-10) on BrainScaleS-2, **8.4 uJ** and **48 us** per image at
  ~**175 mW** chip power read from the carrier board's INA219 monitors (Renner et al. 2024,
  Nat. Commun., Table 1; Goeltz et al. 2021, Nat. Mach. Intell.; fastAndDeep
  ``fd_backend.py``). 48 us = 8 model time units x tau = 6 us (``single_simtime = 8``).
* Per-event energies are **this suite's assumptions** (no public per-event figure for BSS2
  was found): a synaptic event (one synapse hit by a routed event: driver pulse + 6-bit DAC
  current) 10 pJ; a neuron spike (comparator, reset, event generation and routing) 100 pJ;
  an I/O event on the FPGA link (a 64-bit frame at ~10 pJ/bit) 0.64 nJ; a PPU cycle
  (~10 mW at 250 MHz) 40 pJ.
* The static power (analog biases, CapMem, clocks, links: everything that burns while the
  chip is configured but idle) is **calibrated**: it is what remains of 8.4 uJ in 48 us
  after the events of the reference inference (:data:`REFERENCE_EVENTS`, counted on the
  ``reference`` workload of :mod:`bss2_experiments.energy_workloads`, a 256-246-10 network). It comes out
  near 157 mW, so most of a BSS2 inference's energy is static, as for the DLS prototype
  whose whole chip drew 57 mW while playing Pong (Wunderlich et al. 2019) - a smaller chip,
  used here only as a plausibility check.

Every emulator run through the PyNN backend is counted in :data:`CHIP_ACTIVITY`, which
:func:`bss2_experiments.results.save_result` writes as each result's ``energy`` block.

A bench measurement with the protocol of :mod:`bss2_experiments.energy` sees the static
power as the idle baseline; its "energy per inference" (integral of P - P_idle over N) is
therefore the *dynamic* part, :attr:`InferenceEnergy.dynamic_energy_joule`; the published
8.4 uJ is the *total*, :attr:`InferenceEnergy.energy_joule`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emulator.interface import EVENT_LABEL_MAX, N_COLUMNS, N_NEURONS, ChipConfiguration, RowMode, RunResult, Stimulus

PUBLISHED_ENERGY_PER_INFERENCE_JOULE = 8.4e-6
"""Renner et al. 2024, Table 1: 16x16 MNIST on BSS2."""
PUBLISHED_TIME_PER_INFERENCE_S = 48e-6
"""Renner et al. 2024, Table 1; 8 x 6 us (fastAndDeep ``single_simtime``, ``taum``)."""


@dataclass(frozen=True)
class EventCounts:
    """Events of each trial of a run (arrays of shape (n_trials,), or scalars for one
    representative inference)."""

    spikes: np.ndarray
    """Neuron spikes (every one is also sent to the host as an I/O event)."""
    synaptic_events: np.ndarray
    """Fan-out entries hit: synapses with weight > 0 and matching label reached by a
    delivered input event or a spike, on an enabled row and enabled neuron input."""
    ppu_cycles: np.ndarray
    """PPU cycles summed over both PPUs."""
    io_events: np.ndarray
    """Input events delivered by the FPGA link plus spike events sent back."""

    def mean(self) -> "EventCounts":
        """Average over trials."""
        return EventCounts(*(float(np.mean(getattr(self, f))) for f in self.__dataclass_fields__))


REFERENCE_EVENTS = EventCounts(spikes=np.float64(65.71), synaptic_events=np.float64(63612.65),
                               ppu_cycles=np.float64(0.0), io_events=np.float64(321.71))
"""Mean events of one inference of the ``reference`` workload (256-246-10, random
weights, seed 0, 200 inferences; ``python -m bss2_experiments.energy_workloads``)."""


@dataclass(frozen=True)
class EnergyModel:
    """Per-event energies (J) and static power (W) of the chip; see the module doc."""

    synaptic_event_energy_joule: float = 10e-12
    spike_energy_joule: float = 100e-12
    io_event_energy_joule: float = 0.64e-9
    ppu_cycle_energy_joule: float = 40e-12
    static_power_watt: float | None = None
    """None: calibrated so :data:`REFERENCE_EVENTS` in 48 us cost 8.4 uJ."""

    def __post_init__(self):
        if self.static_power_watt is None:
            dynamic = self.dynamic_energy_joule(REFERENCE_EVENTS)
            object.__setattr__(self, "static_power_watt",
                               float((PUBLISHED_ENERGY_PER_INFERENCE_JOULE - dynamic) / PUBLISHED_TIME_PER_INFERENCE_S))

    def dynamic_energy_joule(self, counts: EventCounts) -> np.ndarray:
        """Energy of the counted events (J), per trial."""
        return (np.asarray(counts.spikes) * self.spike_energy_joule
                + np.asarray(counts.synaptic_events) * self.synaptic_event_energy_joule
                + np.asarray(counts.ppu_cycles) * self.ppu_cycle_energy_joule
                + np.asarray(counts.io_events) * self.io_event_energy_joule)


DEFAULT_MODEL = EnergyModel()


@dataclass(frozen=True)
class InferenceEnergy:
    """Energy and hardware time of each inference (trial) of a run."""

    hardware_time_s: float
    """Hardware time of one inference (s; the run's ``duration_us`` / 1e6)."""
    dynamic_energy_joule: np.ndarray
    """Energy above the static (idle) power, per inference (J)."""
    static_power_watt: float
    counts: EventCounts

    @property
    def energy_joule(self) -> np.ndarray:
        """Total energy per inference (J): static power x hardware time + dynamic."""
        return self.static_power_watt * self.hardware_time_s + self.dynamic_energy_joule

    def summary(self) -> dict:
        """Means over inferences, with units in the keys (for result JSON files)."""
        return {"energy_per_inference_joule": float(np.mean(self.energy_joule)),
                "dynamic_energy_per_inference_joule": float(np.mean(self.dynamic_energy_joule)),
                "hardware_time_per_inference_s": self.hardware_time_s,
                "static_power_watt": self.static_power_watt}


def fanout_per_label(config: ChipConfiguration) -> np.ndarray:
    """Synapses one event of each label reaches (array over labels 0..16383).

    Counts, per routing entry, the synapses of its row whose label matches the entry's
    synapse label and whose weight is > 0, on rows that are not disabled and columns whose
    neuron has that input (excitatory/inhibitory) enabled - the entries the emulator's
    fan-out table holds for that label.
    """
    r = config.routing
    hemi, row = np.asarray(r.hemisphere, np.int64), np.asarray(r.row, np.int64)
    mode = config.synapses.row_modes[hemi, row]
    syn = config.synapses
    hit = (syn.labels[hemi, row] == np.asarray(r.synapse_label)[:, None]) & (syn.weights[hemi, row] > 0)
    neuron = hemi[:, None] * N_COLUMNS + np.arange(N_COLUMNS)[None, :]
    enabled = np.where((mode == RowMode.EXCITATORY)[:, None], config.neurons.excitatory_input_enable[neuron],
                       config.neurons.inhibitory_input_enable[neuron])
    per_entry = (hit & enabled & (mode != RowMode.DISABLED)[:, None]).sum(axis=1)
    return np.bincount(np.asarray(r.source_label, np.int64), weights=per_entry, minlength=EVENT_LABEL_MAX + 1)


def count_events(result: RunResult, config: ChipConfiguration, stimulus: Stimulus) -> EventCounts:
    """Events of each trial of ``result`` (run with ``config`` and ``stimulus``).

    Input events at or after the end of the run are not played; if the link dropped
    events of a trial (``result.dropped_events``), that trial's input synaptic events are
    scaled by the delivered fraction (the dropped events' labels are not reported).
    """
    fanout = fanout_per_label(config)
    n = stimulus.n_trials
    time_us, trial, label = (np.asarray(a) for a in (stimulus.time_us, stimulus.trial, stimulus.label))
    played = time_us < result.duration_us
    offered = np.bincount(trial[played], minlength=n).astype(float)
    delivered = offered - np.asarray(result.dropped_events, float)
    fraction = np.divide(delivered, offered, out=np.ones(n), where=offered > 0)
    input_synaptic = np.bincount(trial[played], weights=fanout[label[played]], minlength=n) * fraction

    neurons = config.neurons
    out_label = np.where(neurons.event_output_label >= 0, neurons.event_output_label, np.arange(N_NEURONS))
    spike_fanout = np.where(neurons.event_output_enable, fanout[out_label], 0.0)
    spikes = result.spikes
    n_spikes = np.bincount(spikes.trial, minlength=n).astype(float)
    spike_synaptic = np.bincount(spikes.trial, weights=spike_fanout[spikes.neuron], minlength=n)

    ppu = np.zeros(n)
    if result.plasticity is not None and config.plasticity:
        per_call = sum(result.plasticity.cycles_per_call.values())
        ppu += per_call * result.plasticity.calls * len(config.plasticity[0].hemispheres)
    return EventCounts(spikes=n_spikes, synaptic_events=input_synaptic + spike_synaptic, ppu_cycles=ppu,
                       io_events=delivered + n_spikes)


def inference_energy(result: RunResult, config: ChipConfiguration, stimulus: Stimulus,
                     model: EnergyModel = DEFAULT_MODEL) -> InferenceEnergy:
    """Energy and hardware time per inference of any emulator run (one trial = one
    inference). ``InferenceEnergy.summary()`` gives the numbers a result file should carry."""
    counts = count_events(result, config, stimulus)
    return InferenceEnergy(hardware_time_s=result.duration_us / 1e6,
                           dynamic_energy_joule=model.dynamic_energy_joule(counts),
                           static_power_watt=model.static_power_watt, counts=counts)


@dataclass
class ChipActivity:
    """Running tally of the emulator runs of a process and their modelled energy (J, s).

    The PyNN backend adds every emulator call to :data:`CHIP_ACTIVITY`
    (``bss2_experiments.pynn.execution``); code that calls a chip directly adds its runs
    with :func:`record_run`. :func:`bss2_experiments.results.save_result` stores
    :meth:`summary` as the result's ``energy`` block and starts a new tally, so each
    result reports the runs made since the previous one. One trial counts as one inference.
    """

    chip_calls: int = 0
    trials: int = 0
    hardware_time_s: float = 0.0
    """Summed over trials (s)."""
    dynamic_energy_joule: float = 0.0
    static_energy_joule: float = 0.0
    """Static power x hardware time, summed over trials (J)."""
    static_power_watt: float | None = None
    events: dict = field(default_factory=lambda: dict.fromkeys(EventCounts.__dataclass_fields__, 0.0))
    """Summed event counts (:class:`EventCounts` fields)."""
    chips: list = field(default_factory=list)
    """``Chip.identity`` of the chips that ran."""

    def add(self, energy: InferenceEnergy, chip_identity: str | None = None) -> None:
        """Count one chip call with ``energy`` (per trial)."""
        n = int(np.size(energy.dynamic_energy_joule))
        self.chip_calls += 1
        self.trials += n
        self.hardware_time_s += energy.hardware_time_s * n
        self.dynamic_energy_joule += float(np.sum(energy.dynamic_energy_joule))
        self.static_energy_joule += energy.static_power_watt * energy.hardware_time_s * n
        self.static_power_watt = energy.static_power_watt
        for name in self.events:
            self.events[name] += float(np.sum(getattr(energy.counts, name)))
        if chip_identity is not None and chip_identity not in self.chips:
            self.chips.append(chip_identity)

    def reset(self) -> None:
        """Start a new tally."""
        self.__init__()

    def summary(self) -> dict | None:
        """The tally with units in the keys (for a result's JSON); None without trials."""
        if not self.trials:
            return None
        total = self.dynamic_energy_joule + self.static_energy_joule
        return {"source": "emulator energy model (bss2_experiments.energy_model): static power x hardware time "
                          "+ per-event energies; one trial = one inference",
                "chips": list(self.chips), "chip_calls": self.chip_calls, "inferences": self.trials,
                "hardware_time_s": self.hardware_time_s,
                "hardware_time_per_inference_s": self.hardware_time_s / self.trials,
                "energy_joule": total, "energy_per_inference_joule": total / self.trials,
                "dynamic_energy_per_inference_joule": self.dynamic_energy_joule / self.trials,
                "static_power_watt": self.static_power_watt,
                "mean_power_watt": total / self.hardware_time_s if self.hardware_time_s > 0 else None,
                "events_per_inference": {name: value / self.trials for name, value in self.events.items()}}


CHIP_ACTIVITY = ChipActivity()
"""The process's tally of emulator runs (see :class:`ChipActivity`)."""


def record_run(result: RunResult, config: ChipConfiguration, stimulus: Stimulus, chip_identity: str | None = None,
               model: EnergyModel = DEFAULT_MODEL) -> InferenceEnergy:
    """Model the energy of one emulator run, add it to :data:`CHIP_ACTIVITY` and return it."""
    energy = inference_energy(result, config, stimulus, model)
    CHIP_ACTIVITY.add(energy, chip_identity)
    return energy


def power_trace_watt(dynamic_energy_joule: np.ndarray, time_per_inference_s: float, static_power_watt: float,
                     sample_interval_s: float, n_samples: int, start_sample: int) -> np.ndarray:
    """The model's power as an instrument would log it: ``n_samples`` averages over
    consecutive ``sample_interval_s`` intervals (W). Inference ``i`` spreads its dynamic
    energy evenly over ``[t0 + i T, t0 + (i + 1) T)`` with ``t0 = start_sample *
    sample_interval_s``; the static power is always on. The sum of (P - P_static) x interval
    equals the summed dynamic energy whenever the inferences end inside the record."""
    edges = np.arange(n_samples + 1) * sample_interval_s
    # cumulative dynamic energy at each sample edge, linear inside each inference
    window_edges = start_sample * sample_interval_s + np.arange(len(dynamic_energy_joule) + 1) * time_per_inference_s
    cumulative = np.concatenate([[0.0], np.cumsum(dynamic_energy_joule)])
    energy_at_edges = np.interp(edges, window_edges, cumulative)
    return static_power_watt + np.diff(energy_at_edges) / sample_interval_s
