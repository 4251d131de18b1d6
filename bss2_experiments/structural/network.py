"""The structural-plasticity network on one hemisphere of the chip (chip interface).

Layout (hemisphere 0, after Billaudelle et al. 2021, Neural Networks 133, Fig. 1):

* **Pool rows** ``0 .. max(fan_ins) - 1`` (excitatory): the routing sends every receptor's
  events to each of them, receptor ``j`` with synapse label ``j``. A synapse in a pool row
  therefore listens to the receptor whose number its 6-bit label holds: rewriting the
  label rewires it. Labels ``>= n_receptors`` match no receptor: unconnected synapses.
* **Label neurons**: per sparsity level (fan-in ``k``) and class, ``neurons_per_class``
  neurons (one column each). A column of level ``k`` has connected synapses in pool rows
  ``0 .. k-1`` and unconnected ones (label 63) in the rest, so its fan-in is ``k``; the
  ``structural`` kernel never rewires unconnected synapses, so it stays ``k``.
* **Teacher rows**: ``teacher_rows`` excitatory rows carry the teacher of each class
  (label = class) onto that class's columns at weight 63, and as many inhibitory rows
  carry the classes' inhibitory teachers.

The PyNN backend's mapping gives every presynaptic source its own label in a row
(``bss2_experiments.pynn.mapping``), which cannot express a row whose labels are a pool
shared by all columns; this experiment therefore builds its configuration at the chip
interface, with the neurons calibrated by :mod:`calibration` like PyNN's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emulator.interface import (
    N_COLUMNS, N_NEURONS, N_ROWS, SYNAPSE_LABEL_MAX, WEIGHT_MAX, ChipConfiguration, EventRouting,
    PlasticityProgram, PlasticityTimer, RowMode, Stimulus,
)
from .encoding import N_CLASSES, Encoding

HEMISPHERE = 0
UNCONNECTED = SYNAPSE_LABEL_MAX
"""Synapse label of an unconnected pool synapse (no receptor carries it)."""
INPUT_LABEL_OFFSET = N_NEURONS
"""External input ``j`` sends event label ``N_NEURONS + j`` (neurons send their index)."""
KERNEL = "structural"


@dataclass(frozen=True)
class Layout:
    """Where everything sits: levels (fan-ins), neurons per class, receptors, rows."""

    fan_ins: tuple[int, ...]
    neurons_per_class: int
    n_receptors: int
    teacher_rows: int = 4

    def __post_init__(self):
        if not self.fan_ins:
            raise ValueError("give at least one fan-in level")
        if self.n_receptors < 1 or self.n_receptors > UNCONNECTED:
            raise ValueError(f"{self.n_receptors} receptors: a pool row holds at most {UNCONNECTED} (label "
                             f"{UNCONNECTED} marks unconnected synapses); use fewer receptors per feature")
        for k in self.fan_ins:
            if not 1 <= k <= self.n_receptors:
                raise ValueError(f"fan-in k = {k}: must lie in 1..{self.n_receptors} (the receptor pool); "
                                 f"choose a smaller --fan-in or more receptors per feature")
        if self.neurons_per_class < 1:
            raise ValueError(f"neurons_per_class = {self.neurons_per_class}: need at least 1")
        if self.n_columns > N_COLUMNS:
            raise ValueError(f"{self.n_columns} label neurons do not fit one hemisphere ({N_COLUMNS} columns); "
                             f"use fewer levels or neurons per class")
        if self.pool_rows + 2 * self.teacher_rows > N_ROWS:
            raise ValueError(f"{self.pool_rows} pool rows + {2 * self.teacher_rows} teacher rows exceed {N_ROWS}")

    @property
    def pool_rows(self) -> int:
        return max(self.fan_ins)

    @property
    def n_columns(self) -> int:
        return len(self.fan_ins) * N_CLASSES * self.neurons_per_class

    def columns(self, level: int, cls: int | None = None) -> np.ndarray:
        """Columns (= hemisphere-0 neurons) of a level, or of one class in it."""
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

    # -- labels of the external inputs -------------------------------------------------
    def receptor_label(self, j) -> np.ndarray:
        return INPUT_LABEL_OFFSET + np.asarray(j)

    def teacher_label(self, cls) -> np.ndarray:
        return INPUT_LABEL_OFFSET + self.n_receptors + np.asarray(cls)

    def inhibition_label(self, cls) -> np.ndarray:
        return INPUT_LABEL_OFFSET + self.n_receptors + N_CLASSES + np.asarray(cls)


def fan_in(labels: np.ndarray, layout: Layout) -> np.ndarray:
    """Connected pool synapses (label < n_receptors) per label neuron, from hemisphere-0
    labels ``(..., 256, 256)`` (rows, columns): shape ``(..., n_columns)``."""
    pool = np.asarray(labels)[..., :layout.pool_rows, :layout.n_columns]
    return (pool < layout.n_receptors).sum(axis=-2)


def receptive_fields(weights: np.ndarray, labels: np.ndarray, layout: Layout) -> np.ndarray:
    """Summed weight from each receptor onto each label neuron: ``(n_columns, n_receptors)``
    from hemisphere-0 weights and labels ``(256, 256)``."""
    w = np.asarray(weights)[:layout.pool_rows, :layout.n_columns].astype(float)
    lab = np.asarray(labels)[:layout.pool_rows, :layout.n_columns]
    out = np.zeros((layout.n_columns, layout.n_receptors))
    connected = lab < layout.n_receptors
    cols = np.broadcast_to(np.arange(layout.n_columns), lab.shape)
    np.add.at(out, (cols[connected], lab[connected].astype(np.int64)), w[connected])
    return out


def configure(base: ChipConfiguration, layout: Layout, labels: np.ndarray, weights: np.ndarray) -> ChipConfiguration:
    """A copy of the calibrated ``base`` with the network's synapses and routing; pool
    synapses get ``labels``/``weights`` (pool_rows, n_columns); neurons outside the
    network are switched off."""
    cfg = base.copy()
    syn = cfg.synapses
    h, R, T, C = HEMISPHERE, layout.pool_rows, layout.teacher_rows, layout.n_columns
    syn.weights[:] = 0
    syn.labels[:] = UNCONNECTED
    syn.row_modes[:] = RowMode.DISABLED
    syn.row_modes[h, :R + T] = RowMode.EXCITATORY
    syn.row_modes[h, R + T:R + 2 * T] = RowMode.INHIBITORY
    syn.labels[h, :R, :C] = labels
    syn.weights[h, :R, :C] = weights
    cls = layout.class_of_column()
    syn.labels[h, R:R + 2 * T, :C] = cls
    syn.weights[h, R:R + 2 * T, :C] = WEIGHT_MAX
    rec = np.arange(layout.n_receptors)
    pool = [(layout.receptor_label(j), h, r, j) for r in range(R) for j in rec]
    teach = [(layout.teacher_label(c), h, R + t, c) for t in range(T) for c in range(N_CLASSES)]
    inhib = [(layout.inhibition_label(c), h, R + T + t, c) for t in range(T) for c in range(N_CLASSES)]
    cfg.routing = EventRouting.from_entries(pool + teach + inhib)
    used = np.zeros(N_NEURONS, bool)
    used[h * N_COLUMNS + np.arange(C)] = True
    n = cfg.neurons
    for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable", "event_output_enable"):
        getattr(n, name)[~used] = False
    for name in ("constant_current_enable", "adaptation_enable", "exponential_enable"):
        getattr(n, name)[:] = False
    return cfg


def initial_pool(layout: Layout, rng: np.random.Generator, weight: int) -> tuple[np.ndarray, np.ndarray]:
    """Random initial connectivity: labels and weights (pool_rows, n_columns); column
    of fan-in ``k`` gets ``k`` random receptors (without repetition) in rows ``0..k-1``."""
    R, C = layout.pool_rows, layout.n_columns
    labels = np.full((R, C), UNCONNECTED, np.uint8)
    weights = np.zeros((R, C), np.uint8)
    for c, k in enumerate(layout.fan_in_of_column()):
        labels[:k, c] = rng.choice(layout.n_receptors, size=k, replace=False)
        weights[:k, c] = weight
    return labels, weights


def training_stimulus(layout: Layout, enc: Encoding, x01: np.ndarray, y: np.ndarray,
                      rng: np.random.Generator) -> Stimulus:
    """One trial presenting samples ``x01`` (n, 4) with classes ``y`` back to back, each
    for ``enc.sample_us``, with the teachers on."""
    n = len(y)
    start = np.arange(n) * enc.sample_us
    spikes = enc.receptor_spikes(x01, rng)                   # (n, R, volleys)
    s, j, _ = np.nonzero(np.isfinite(spikes))
    times = [start[s] + spikes[np.isfinite(spikes)]]
    labels = [layout.receptor_label(j)]
    t_teach = enc.teacher_offsets_us()
    times.append((start[:, None] + t_teach[None, :]).ravel())
    labels.append(np.repeat(layout.teacher_label(y), t_teach.size))
    other = np.array([[c for c in range(N_CLASSES) if c != yy] for yy in y]).reshape(n, N_CLASSES - 1)
    for offsets, label_of in ((enc.anti_teacher_offsets_us(), layout.teacher_label),
                              (enc.inhibition_offsets_us(), layout.inhibition_label)):
        shape = (n, N_CLASSES - 1, offsets.size)
        times.append(np.broadcast_to(start[:, None, None] + offsets[None, None, :], shape).ravel())
        labels.append(np.broadcast_to(label_of(other)[:, :, None], shape).ravel())
    time = np.concatenate(times)
    label = np.concatenate(labels).astype(np.int64)
    order = np.argsort(time, kind="stable")
    return Stimulus(1, np.zeros(time.size, np.int64), time[order], label[order])


def evaluation_stimulus(layout: Layout, enc: Encoding, x01: np.ndarray, rng: np.random.Generator) -> Stimulus:
    """One independent trial per sample (no teacher), each ``enc.sample_us`` long."""
    spikes = enc.receptor_spikes(x01, rng)
    trial, j, _ = np.nonzero(np.isfinite(spikes))
    time = spikes[np.isfinite(spikes)]
    order = np.lexsort((time, trial))
    return Stimulus(len(x01), trial[order], time[order], layout.receptor_label(j[order]).astype(np.int64))


def plasticity_program(layout: Layout, params: dict, n_calls: int, period_us: float,
                       calls_before: int, pruned_before: int) -> PlasticityProgram:
    """The ``structural`` kernel on the pool rows, called at the end of every sample
    (``period_us``), ``n_calls`` times; counters continue from earlier chunks."""
    timer = PlasticityTimer(start_us=period_us - 1.0, period_us=period_us, num_periods=n_calls)
    p = dict(params, rows=np.arange(layout.pool_rows), label_count=layout.n_receptors,
             calls=calls_before, pruned=pruned_before)
    return PlasticityProgram(KERNEL, timer, p, (HEMISPHERE,))
