"""The structural-plasticity network in PyNN (``bss2_experiments.pynn``), after
Billaudelle et al. (2021, Neural Networks 133, Fig. 1).

* **Receptors**: a ``SpikeSourceArray`` of ``n_receptors`` (<= 63) sources, the pool.
* **Label neurons**: one ``CalibHXNeuronCuba`` population per sparsity level (fan-in
  ``k``), ``neurons_per_class`` neurons per class, class-major.
* **Pool projections**: receptors -> each level with
  :class:`~bss2_experiments.pynn.projections.LabelPoolConnector` ``(k)`` and a
  ``PlasticSynapse`` whose rule is the ``structural`` kernel. The backend maps them as
  one label pool: every receptor reaches each of ``max(k)`` shared synapse rows with
  synapse label = its index, a label neuron of level ``k`` holds ``k`` synapses whose
  labels name their receptors, and the kernel rewires a synapse by rewriting its label.
  After every run the projections list the receptors the kernel left.
* **Teachers**: two ``SpikeSourceArray`` s of one source per class, onto that class's
  label neurons at ``63 * teacher_rows`` (spread over ``teacher_rows`` synapses): an
  excitatory teacher and an inhibitory one. Static synapses, so the kernel leaves them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .encoding import N_CLASSES, Encoding

KERNEL = "structural"
WEIGHT_MAX = 63


@dataclass(frozen=True)
class Layout:
    """Levels (fan-ins), neurons per class, receptors; label neurons are numbered over
    the levels in order (``columns``), class-major within a level."""

    fan_ins: tuple[int, ...]
    neurons_per_class: int
    n_receptors: int
    teacher_rows: int = 4

    def __post_init__(self):
        from bss2_experiments.pynn.mapping import MAX_POOL_SIZE
        if not self.fan_ins:
            raise ValueError("give at least one fan-in level")
        if not 1 <= self.n_receptors <= MAX_POOL_SIZE:
            raise ValueError(f"{self.n_receptors} receptors: a label pool holds at most {MAX_POOL_SIZE} (label "
                             f"{MAX_POOL_SIZE} marks free synapses); use fewer receptors per feature")
        for k in self.fan_ins:
            if not 1 <= k <= self.n_receptors:
                raise ValueError(f"fan-in k = {k}: must lie in 1..{self.n_receptors} (the receptor pool); "
                                 f"choose a smaller --fan-in or more receptors per feature")
        if self.neurons_per_class < 1 or self.teacher_rows < 1:
            raise ValueError(f"neurons_per_class = {self.neurons_per_class}, teacher_rows = {self.teacher_rows}: "
                             f"need at least one of each")

    @property
    def n_columns(self) -> int:
        return len(self.fan_ins) * N_CLASSES * self.neurons_per_class

    def columns(self, level: int, cls: int | None = None) -> np.ndarray:
        """Label neurons of a level, or of one class in it (numbered over all levels)."""
        m = self.neurons_per_class
        start = level * N_CLASSES * m
        if cls is None:
            return np.arange(start, start + N_CLASSES * m)
        return np.arange(start + cls * m, start + (cls + 1) * m)

    def fan_in_of_column(self) -> np.ndarray:
        """(n_columns,) the fan-in each label neuron must keep."""
        return np.repeat(np.asarray(self.fan_ins), N_CLASSES * self.neurons_per_class)

    def class_of_column(self) -> np.ndarray:
        return np.tile(np.repeat(np.arange(N_CLASSES), self.neurons_per_class), len(self.fan_ins))


@dataclass
class Network:
    """The PyNN objects of one session."""

    layout: Layout
    receptors: object
    teachers: object
    inhibitors: object
    levels: list
    """one label-neuron population per fan-in level"""
    pools: list
    """receptors -> level projections (label pools)"""
    rule: object
    """the ``structural`` kernel (:class:`bss2_experiments.pynn.PlasticityRule`)"""


def build(sim, layout: Layout, initial_weight: int, seed: int) -> Network:
    """Create the network in the current ``sim`` session; the initial receptors of each
    label neuron are drawn with ``seed``. The rule's timer and parameters are set per run
    (:func:`kernel_parameters`)."""
    silent = sim.SpikeSourceArray(spike_times=[])
    receptors = sim.Population(layout.n_receptors, silent, label="receptors")
    teachers = sim.Population(N_CLASSES, silent, label="teachers")
    inhibitors = sim.Population(N_CLASSES, silent, label="inhibitory teachers")
    rule = sim.PlasticityRule(KERNEL, sim.Timer(1.0, 1.0, 1))
    rng = sim.NumpyRNG(seed=seed)
    levels, pools = [], []
    teacher_weight = WEIGHT_MAX * layout.teacher_rows
    m = layout.neurons_per_class
    for k in layout.fan_ins:
        pop = sim.Population(N_CLASSES * m, sim.CalibHXNeuronCuba(), label=f"label neurons k={k}")
        pools.append(sim.Projection(receptors, pop, sim.LabelPoolConnector(k, rng=rng),
                                    sim.PlasticSynapse(weight=initial_weight, plasticity_rule=rule)))
        own = sim.FromListConnector([(c, c * m + i) for c in range(N_CLASSES) for i in range(m)])
        sim.Projection(teachers, pop, own, sim.StaticSynapse(weight=teacher_weight))
        sim.Projection(inhibitors, pop, own, sim.StaticSynapse(weight=-teacher_weight), receptor_type="inhibitory")
        levels.append(pop)
    return Network(layout, receptors, teachers, inhibitors, levels, pools, rule)


def kernel_parameters(base: dict, label_count: int, calls: int, pruned: int):
    """The rule's parameters for one run: ``base`` (the mailbox of
    :class:`~.experiment.RuleParameters`) on the pool rows the mapping chose, receptors
    ``0..label_count-1``; the kernel's counters continue from ``calls`` / ``pruned``."""
    def parameters(rows: np.ndarray, columns: np.ndarray) -> dict:
        if rows[1].any():
            raise ValueError("the label neurons must sit in hemisphere 0 (one PPU runs the rule)")
        return dict(base, rows=np.flatnonzero(rows[0]), label_count=label_count, calls=calls, pruned=pruned)
    return parameters


def connections(net: Network) -> list[np.ndarray]:
    """Per level: ``(n_connections, 3)`` array of (receptor, label neuron of the level,
    weight) as the projection holds them now."""
    return [np.asarray(p.get("weight", format="list", with_address=True), dtype=float).reshape(-1, 3)
            for p in net.pools]


def fan_in(net: Network) -> np.ndarray:
    """Connected synapses of every label neuron (numbered over the levels): ``(n_columns,)``."""
    return np.concatenate([np.bincount(c[:, 1].astype(np.int64), minlength=p.size)
                           for c, p in zip(connections(net), net.levels)])


def receptive_fields(net: Network) -> np.ndarray:
    """Summed weight from each receptor onto each label neuron: ``(n_columns, n_receptors)``."""
    out = []
    for c, p in zip(connections(net), net.levels):
        rf = np.zeros((p.size, net.layout.n_receptors))
        np.add.at(rf, (c[:, 1].astype(np.int64), c[:, 0].astype(np.int64)), c[:, 2])
        out.append(rf)
    return np.concatenate(out)


def set_training_inputs(net: Network, enc: Encoding, x01: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                        t0_ms: float) -> None:
    """Spike times (absolute ms from ``t0_ms``) presenting ``x01`` (n, 4) with classes ``y``
    back to back, ``enc.sample_ms`` each, with the teachers on."""
    from bss2_experiments.pynn import Sequence
    n = len(y)
    start = t0_ms + np.arange(n) * enc.sample_ms
    spikes = enc.receptor_spikes(x01, rng) + start[:, None, None]          # (n, R, slots)
    receptor_trains = [np.sort(s[np.isfinite(s)]) for s in spikes.transpose(1, 0, 2).reshape(net.layout.n_receptors, -1)]
    teach, anti, inhib = ([[] for _ in range(N_CLASSES)] for _ in range(3))
    for s, cls in zip(start, y):
        teach[cls].append(s + enc.teacher_offsets_ms())
        for other in range(N_CLASSES):
            if other != cls:
                anti[other].append(s + enc.anti_teacher_offsets_ms())
                inhib[other].append(s + enc.inhibition_offsets_ms())
    excitatory = [np.sort(np.concatenate(teach[c] + anti[c] + [np.zeros(0)])) for c in range(N_CLASSES)]
    inhibitory = [np.sort(np.concatenate(inhib[c] + [np.zeros(0)])) for c in range(N_CLASSES)]
    for pop, trains in ((net.receptors, receptor_trains), (net.teachers, excitatory), (net.inhibitors, inhibitory)):
        pop.set(spike_times=[Sequence(t) for t in trains])


def evaluation_inputs(net: Network, receptor_spikes: np.ndarray) -> dict:
    """``run_batch`` inputs: one trial per sample with ``receptor_spikes`` (n, receptors,
    spikes; ms from the trial start, NaN = none, :meth:`Encoding.receptor_spikes`),
    teachers silent."""
    silent = np.full((len(receptor_spikes), N_CLASSES, 1), np.nan)
    return {net.receptors: receptor_spikes, net.teachers: silent, net.inhibitors: silent}


def classify(result, net: Network, duration_ms: float) -> np.ndarray:
    """Predicted class per level and trial of a ``run_batch`` result, ``(n_levels, n_trials)``:
    most spikes of a class's label neurons, ties broken by the earliest first spike."""
    m = net.layout.neurons_per_class
    out = []
    for pop in net.levels:
        counts = result.spike_counts(pop).reshape(-1, N_CLASSES, m).sum(axis=2)
        first = np.minimum(result.first_spike_times(pop), duration_ms).reshape(-1, N_CLASSES, m).min(axis=2)
        out.append(np.argmax(counts * 1e6 - first, axis=1))
    return np.stack(out)
