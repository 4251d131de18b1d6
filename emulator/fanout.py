"""Event fan-out: which neurons an event of a given label reaches, and how strongly.

An event with label L is sent by the routing to synapse-driver rows; in each row every
synapse whose 6-bit label matches the event's synapse label passes the event to its
column's neuron, with a current of ``weight x per-synapse DAC gain x neuron input
strength``, the sign given by the row mode. This module flattens that into a compressed
sparse table (one slice per source label) that the integrator walks per event.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fixed_pattern import FixedPattern
from .interface import EVENT_LABEL_MAX, N_COLUMNS, EventRouting, RowMode, SynapseConfig
from .transfer import COBA_REFERENCE_DRIVE_MV, NeuronPhysics

EXCITATORY, INHIBITORY = 0, 1


@dataclass
class FanOut:
    """Compressed fan-out table.

    ``source_of_label[L]`` is the slice index of label L (-1: the label reaches nothing).
    Slice ``s`` covers entries ``ptr[s]:ptr[s+1]`` of ``target`` (neuron index),
    ``channel`` (0 excitatory, 1 inhibitory) and ``amplitude`` (nA jump for CUBA inputs,
    uS jump for COBA inputs).
    """

    source_of_label: np.ndarray
    ptr: np.ndarray
    target: np.ndarray
    channel: np.ndarray
    amplitude: np.ndarray

    @property
    def n_sources(self) -> int:
        return self.ptr.size - 1

    def remap_targets(self, compact_index: np.ndarray) -> "FanOut":
        """The same table with targets renumbered by ``compact_index[neuron]`` (entries
        whose target maps to -1 are removed)."""
        new_target = compact_index[self.target]
        keep = new_target >= 0
        source = np.repeat(np.arange(self.n_sources), np.diff(self.ptr))[keep]
        ptr = np.zeros(self.n_sources + 1, np.int64)
        np.add.at(ptr, source + 1, 1)
        return FanOut(self.source_of_label, np.cumsum(ptr), new_target[keep].astype(np.int32),
                      self.channel[keep], self.amplitude[keep])


def build_fanout(synapses: SynapseConfig, routing: EventRouting, physics: NeuronPhysics,
                 fpn: FixedPattern) -> FanOut:
    """Flatten synapse arrays and routing into a :class:`FanOut` (nothing is dropped:
    disabled rows, zero weights and disabled neuron inputs simply carry no current)."""
    label = np.asarray(routing.source_label, np.int64)
    hemi = np.asarray(routing.hemisphere, np.int64)
    row = np.asarray(routing.row, np.int64)
    syn_label = np.asarray(routing.synapse_label, np.int64)
    mode = synapses.row_modes[hemi, row]
    live = mode != RowMode.DISABLED
    label, hemi, row, syn_label, mode = label[live], hemi[live], row[live], syn_label[live], mode[live]

    weights = synapses.weights[hemi, row].astype(np.int64)              # (E, 256)
    match = (synapses.labels[hemi, row] == syn_label[:, None]) & (weights > 0)
    entry, column = np.nonzero(match)
    neuron = hemi[entry] * N_COLUMNS + column
    channel = np.where(mode[entry] == RowMode.EXCITATORY, EXCITATORY, INHIBITORY).astype(np.int8)
    amplitude = (weights[entry, column] * fpn.synapse_gain[hemi[entry], row[entry], column]
                 * physics.syn_current_per_lsb_na[channel, neuron])
    amplitude = np.where(physics.coba[channel, neuron], amplitude / COBA_REFERENCE_DRIVE_MV, amplitude)
    enabled = physics.input_enable[channel, neuron]
    entry_label = label[entry][enabled]
    neuron, channel, amplitude = neuron[enabled], channel[enabled], amplitude[enabled]

    used_labels = np.unique(label)
    source_of_label = np.full(EVENT_LABEL_MAX + 1, -1, np.int32)
    source_of_label[used_labels] = np.arange(used_labels.size, dtype=np.int32)
    source = source_of_label[entry_label].astype(np.int64)
    # merge several rows that connect the same label to the same neuron input
    key = (source * (N_COLUMNS * 2) + neuron) * 2 + channel
    unique_key, inverse = np.unique(key, return_inverse=True)
    merged = np.bincount(inverse, weights=amplitude, minlength=unique_key.size)
    m_channel = (unique_key % 2).astype(np.int8)
    m_neuron = ((unique_key // 2) % (N_COLUMNS * 2)).astype(np.int32)
    m_source = unique_key // (2 * N_COLUMNS * 2)
    ptr = np.zeros(used_labels.size + 1, np.int64)
    np.add.at(ptr, m_source + 1, 1)
    return FanOut(source_of_label, np.cumsum(ptr), m_neuron, m_channel, merged.astype(np.float64))
