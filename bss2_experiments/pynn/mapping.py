"""Place a network on one BrainScaleS-2 chip: neurons, synapse-driver rows, labels.

Input is plain data in hardware units: how many neurons and external inputs the network
has and a list of :class:`Connections` blocks with non-negative integer weights. Output
is a :class:`ChipMapping` holding the synapse arrays, row modes and event routing of a
:class:`emulator.interface.ChipConfiguration`, and the event labels of the external
inputs (see :meth:`ChipMapping.stimulus`). Nothing here knows PyNN.

Rules (chip facts in :mod:`emulator.interface`):

* Logical neuron ``i`` sits on chip neuron ``placement[i]``: ``0, 1, 2, ...`` or a
  user permutation. More than 512 neurons do not fit.
* A neuron sends events labelled with its chip index (0..511); external input ``j``
  sends label ``512 + j`` (at most 16384 - 512 inputs).
* A synapse row has one sign (excitatory or inhibitory) and up to 64 synapse labels;
  every presynaptic source that reaches a hemisphere with one sign occupies a label in
  one or more rows there. Sources whose target columns do not overlap share a row. A
  hemisphere has 256 rows.
* A weight ``w > 63`` is spread over ``ceil(w / 63)`` synapses of the same column in
  different rows, as evenly as possible. Weights of repeated (pre, post, sign) pairs add
  up (for static synapses the chip cannot tell them apart) except in blocks with a
  ``key`` (plastic projections), whose synapses stay separate so that their weights can
  be read back (:meth:`ChipMapping.read_weights`).
* A block with a :class:`LabelPool` is laid out as a *label pool* instead (structural
  plasticity, Billaudelle et al. 2021, Neural Networks 133): its ``N <= 63`` sources
  share ``k`` driver rows, every source reaching every pool row with synapse label =
  its pool label ``0..N-1``. Each connection is one synapse (weight 0..63, zero kept)
  in its target's column, in the first free pool row; the pool's other synapses carry
  :data:`UNCONNECTED_LABEL`, which no source sends. Which source a synapse listens to is
  therefore its 6-bit label, and a PPU kernel that rewrites labels (``structural``)
  rewires it; a target with ``n`` connections keeps fan-in ``n`` as long as the kernel
  only moves labels within ``0..N-1`` (:meth:`ChipMapping.read_pool_labels`). Blocks
  with the same sources, hemisphere and sign share rows: ``k`` is their largest fan-in.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from emulator.interface import (
    EVENT_LABEL_MAX, N_COLUMNS, N_HEMISPHERES, N_NEURONS, N_ROWS, SYNAPSE_LABEL_MAX,
    WEIGHT_MAX, ChipConfiguration, EventRouting, RowMode, Stimulus, SynapseConfig,
)

LABELS_PER_ROW = SYNAPSE_LABEL_MAX + 1
INPUT_LABEL_OFFSET = N_NEURONS
"""External input ``j`` sends event label ``INPUT_LABEL_OFFSET + j``."""
MAX_INPUTS = EVENT_LABEL_MAX + 1 - INPUT_LABEL_OFFSET
UNCONNECTED_LABEL = SYNAPSE_LABEL_MAX
"""Synapse label of a free synapse in a label pool's rows: no source of the pool sends it."""
MAX_POOL_SIZE = UNCONNECTED_LABEL
"""A label pool has at most 63 sources: label 63 must stay free to mark free synapses."""


class MappingError(ValueError):
    """The network does not fit on one chip; the message names the limit and the count."""


@dataclass(frozen=True, eq=False)
class LabelPool:
    """Lay a block out as a label pool (see the module docstring).

    The pool is ``size`` consecutive sources (inputs or logical neurons, e.g. one
    population): connection ``c`` of the block comes from the source with pool label
    ``index[c]`` (0..size-1), so pool label ``i`` is source ``pre[c] - index[c] + i``.
    ``owner`` is any object that identifies who asked for the pool (a PyNN projection);
    :meth:`ChipMapping.pool_key` finds its block again.
    """

    size: int
    index: np.ndarray
    owner: object = None


@dataclass(frozen=True)
class Connections:
    """One block of connections in hardware units.

    ``pre`` indexes external inputs (``from_inputs``) or logical neurons; ``post`` indexes
    logical neurons; ``weight`` holds non-negative integer hardware weights (any size;
    larger than 63 is spread over several synapses); ``inhibitory`` picks the row sign.
    ``pool`` lays the block out as a label pool (needs a ``key``; weights 0..63).
    """

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    inhibitory: bool = False
    from_inputs: bool = False
    key: int | None = None
    """Set for blocks whose weights are read back after a run (plastic projections)."""
    pool: LabelPool | None = None


@dataclass
class _Row:
    mask: int = 0
    labels: int = 0


@dataclass
class SynapseLocations:
    """Where the synapses of one keyed block went: synapse ``s`` is
    ``(hemisphere[s], row[s], column[s])`` and belongs to connection pair ``pair[s]``;
    connection ``c`` of the block is pair ``pair_of_connection[c]``."""

    hemisphere: np.ndarray
    row: np.ndarray
    column: np.ndarray
    pair: np.ndarray
    pair_of_connection: np.ndarray
    n_pairs: int


@dataclass
class ChipMapping:
    """The result of :func:`map_network`."""

    placement: np.ndarray
    """Logical neuron -> chip neuron (0..511)."""
    synapses: SynapseConfig
    routing: EventRouting
    n_inputs: int
    locations: dict[int, SynapseLocations] = field(default_factory=dict)
    rows_used: np.ndarray = field(default_factory=lambda: np.zeros(N_HEMISPHERES, int))
    """Synapse rows used per hemisphere."""
    pools: dict[int, LabelPool] = field(default_factory=dict)
    """key -> label pool of the pooled blocks (their synapses are in ``locations[key]``)."""

    def configure(self, base: ChipConfiguration) -> ChipConfiguration:
        """A copy of ``base`` with this mapping's synapses and routing; unplaced neurons
        are silenced (threshold, inputs and event output off) so the chip can skip them."""
        config = base.copy()
        config.synapses = self.synapses
        config.routing = self.routing
        unused = np.ones(N_NEURONS, bool)
        unused[self.placement] = False
        n = config.neurons
        for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable",
                     "event_output_enable", "constant_current_enable", "adaptation_enable",
                     "exponential_enable"):
            getattr(n, name)[unused] = False
        n.event_output_label[:] = -1
        return config

    def stimulus(self, trials: Sequence[Sequence[np.ndarray]]) -> Stimulus:
        """Events for a batch: ``trials[k][j]`` are the times (hardware us) of input ``j``
        in trial ``k`` (any order)."""
        for k, inputs in enumerate(trials):
            if len(inputs) != self.n_inputs:
                raise MappingError(f"trial {k} has spike trains for {len(inputs)} inputs, the network has {self.n_inputs}")
        if not trials:
            return Stimulus.empty()
        flat = [np.asarray(x, dtype=float).ravel() for inputs in trials for x in inputs]
        lengths = np.fromiter((x.size for x in flat), np.int64, len(flat))
        time = np.concatenate(flat) if flat else np.zeros(0)
        label = np.repeat(np.tile(INPUT_LABEL_OFFSET + np.arange(self.n_inputs), len(trials)), lengths)
        trial = np.repeat(np.repeat(np.arange(len(trials)), self.n_inputs), lengths)
        order = np.lexsort((time, trial))
        return Stimulus(len(trials), trial[order], time[order], label[order])

    def stimulus_array(self, times_us: np.ndarray) -> Stimulus:
        """Events for a batch from one array: ``times_us[k, j, s]`` is spike ``s`` of input
        ``j`` in trial ``k`` (hardware us; NaN or inf = no spike), shape
        ``(n_trials, n_inputs, spikes_per_input)``."""
        times_us = np.asarray(times_us, dtype=float)
        if times_us.ndim != 3 or times_us.shape[1] != self.n_inputs:
            raise MappingError(f"the input array has shape {times_us.shape}; the network needs (n_trials, "
                               f"{self.n_inputs}, spikes_per_input)")
        trial, index, _ = np.nonzero(np.isfinite(times_us))
        time = times_us[np.isfinite(times_us)]
        order = np.lexsort((time, trial))
        return Stimulus(times_us.shape[0], trial[order], time[order], INPUT_LABEL_OFFSET + index[order])

    def read_weights(self, key: int, weights: np.ndarray) -> np.ndarray:
        """Per-connection weights of keyed block ``key`` from chip weights ``(2, 256, 256)``
        (all synapses of a pair added up, shared equally by repeated connections)."""
        loc = self.locations[key]
        per_pair = np.bincount(loc.pair, weights=weights[loc.hemisphere, loc.row, loc.column].astype(float),
                               minlength=loc.n_pairs)
        repeats = np.bincount(loc.pair_of_connection, minlength=loc.n_pairs)
        return per_pair[loc.pair_of_connection] / repeats[loc.pair_of_connection]

    def pool_key(self, owner: object) -> int:
        """The key of the pooled block whose :class:`LabelPool` has ``owner``."""
        for key, pool in self.pools.items():
            if pool.owner is owner:
                return key
        raise MappingError(f"no label pool of {owner!r} in this mapping: its block was mapped without "
                           f"Connections.pool (the network compiler must pass Projection.label_pool)")

    def read_pool_labels(self, key: int, labels: np.ndarray) -> np.ndarray:
        """Pool label (0..size-1) of each connection of pooled block ``key`` from chip
        labels ``(2, 256, 256)``: the source its synapse listens to now; -1 where a kernel
        gave the synapse a label outside the pool (disconnected it)."""
        loc, size = self.locations[key], self.pools[key].size
        now = np.asarray(labels)[loc.hemisphere, loc.row, loc.column].astype(np.int64)
        return np.where(now < size, now, -1)


def place(n_neurons: int, permutation: Sequence[int] | None = None) -> np.ndarray:
    """Chip neuron of each logical neuron: ``0..n-1`` or ``permutation[:n]``."""
    if n_neurons > N_NEURONS:
        raise MappingError(
            f"the network has {n_neurons} neurons; one chip has {N_NEURONS}. Use fewer neurons "
            f"(spike sources do not count) or split the network into several runs")
    if permutation is None:
        return np.arange(n_neurons)
    perm = np.asarray(permutation, dtype=np.int64).ravel()
    if perm.size < n_neurons:
        raise MappingError(f"neuronPermutation has {perm.size} entries, the network has {n_neurons} neurons; "
                           f"give one chip neuron per neuron")
    if perm.min(initial=0) < 0 or perm.max(initial=0) >= N_NEURONS:
        raise MappingError(f"neuronPermutation entries must lie in 0..{N_NEURONS - 1}")
    if np.unique(perm).size != perm.size:
        raise MappingError("neuronPermutation lists a chip neuron more than once")
    return perm[:n_neurons].copy()


def network_fingerprint(n_neurons: int, n_inputs: int, connections: Sequence[Connections],
                        permutation: Sequence[int] | None = None) -> tuple:
    """A key that is equal for two calls of :func:`map_network` exactly when their
    arguments are: array contents enter through a BLAKE2 digest, label pools by their
    owner's identity (what :meth:`ChipMapping.pool_key` looks up)."""
    digest = hashlib.blake2b(digest_size=16)
    flags = []
    for block in connections:
        for array in (block.pre, block.post, block.weight) + ((block.pool.index,) if block.pool else ()):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
        flags.append((block.inhibitory, block.from_inputs, block.key,
                      None if block.pool is None else (block.pool.size, id(block.pool.owner))))
    perm = None if permutation is None else tuple(np.asarray(permutation, np.int64).ravel().tolist())
    return n_neurons, n_inputs, perm, tuple(flags), digest.digest()


def map_network(n_neurons: int, n_inputs: int, connections: Sequence[Connections],
                permutation: Sequence[int] | None = None) -> ChipMapping:
    """Place ``n_neurons`` neurons, label ``n_inputs`` inputs and lay out ``connections``."""
    placement = place(n_neurons, permutation)
    if n_inputs > MAX_INPUTS:
        raise MappingError(
            f"the network has {n_inputs} external inputs; the 14-bit event labels leave room "
            f"for {MAX_INPUTS} next to the {N_NEURONS} neuron labels")
    pooled = [b for b in connections if b.pool is not None]
    pairs = _pairs_by_key(placement, [b for b in connections if b.pool is None])
    pool_rows = _pool_rows(placement, n_neurons, n_inputs, pooled)
    rows, assignment = _pack(_slots(placement, [b for b in connections if b.pool is None], pairs),
                             {hs: sum(g.n_rows for g in groups) for hs, groups in pool_rows.items()})
    n_exc = [len(rows[(h, False)]) for h in range(N_HEMISPHERES)]
    rows_used = np.array([n_exc[h] + len(rows[(h, True)]) for h in range(N_HEMISPHERES)])
    for h in range(N_HEMISPHERES):
        if rows_used[h] > N_ROWS:
            raise MappingError(
                f"hemisphere {h} needs {rows_used[h]} synapse rows ({n_exc[h]} excitatory, "
                f"{rows_used[h] - n_exc[h]} inhibitory); it has {N_ROWS}. Use fewer presynaptic sources "
                f"per hemisphere, smaller weights (each multiple of 63 takes another row) or sparser "
                f"connectivity, or spread the targets over both hemispheres (neuronPermutation)")
    syn = SynapseConfig()
    for h in range(N_HEMISPHERES):  # excitatory rows first, then inhibitory rows
        syn.row_modes[h, :n_exc[h]] = RowMode.EXCITATORY
        syn.row_modes[h, n_exc[h]:rows_used[h]] = RowMode.INHIBITORY
    entries, per_key = [], {}
    for slot, r, label in assignment:
        h = slot.hemisphere
        row = r + (n_exc[h] if slot.inhibitory else 0)
        syn.weights[h, row, slot.columns] = slot.weights
        syn.labels[h, row, slot.columns] = label
        entries.append((slot.source_label, h, row, label))
        if slot.key is not None:
            per_key.setdefault(slot.key, []).append(
                (np.full(slot.columns.size, h), np.full(slot.columns.size, row), slot.columns, slot.pairs))
    locations = {key: _locations(per_key.get(key, []), p) for key, p in pairs.items()}
    placed = {b.key: [] for b in pooled}
    for (h, inhibitory), groups in pool_rows.items():
        first = n_exc[h] if inhibitory else 0
        for group in groups:
            entries.extend(group.write(syn, h, first))
            for key in np.unique(group.key):
                sel = group.key == key
                placed[int(key)].append((group.connection[sel], np.full(sel.sum(), h), first + group.layer[sel],
                                         group.column[sel]))
            first += group.n_rows
    locations.update({key: _pool_locations(parts) for key, parts in placed.items()})
    pools = {b.key: b.pool for b in pooled}
    return ChipMapping(placement, syn, EventRouting.from_entries(entries), n_inputs, locations, rows_used, pools)


def _pack(slots: list["_Slot"], reserved: dict | None = None) -> tuple[dict, list]:
    """First-fit: each slot goes to the first row of its (hemisphere, sign) with a free
    label and none of its columns taken; the first ``reserved[(h, inhibitory)]`` rows
    (label pools) are full. Returns the rows per (hemisphere, inhibitory) and ``(slot,
    row index within its list, label)`` per slot."""
    rows = {(h, s): [_Row(mask=(1 << N_COLUMNS) - 1, labels=LABELS_PER_ROW)
                     for _ in range((reserved or {}).get((h, s), 0))]
            for h in range(N_HEMISPHERES) for s in (False, True)}
    assignment = []
    for slot in slots:
        row_list = rows[(slot.hemisphere, slot.inhibitory)]
        for r, row in enumerate(row_list):
            if row.labels < LABELS_PER_ROW and not row.mask & slot.mask:
                break
        else:
            row_list.append(_Row())
            r = len(row_list) - 1
        row_list[r].mask |= slot.mask
        assignment.append((slot, r, row_list[r].labels))
        row_list[r].labels += 1
    return rows, assignment


@dataclass
class _Slot:
    """One label's worth of synapses: one presynaptic source, one hemisphere, one sign,
    one layer of the weights spread over several synapses; ``mask`` has bit ``c`` set for
    each of its columns ``c``."""

    source_label: int
    hemisphere: int
    inhibitory: bool
    key: int | None
    columns: np.ndarray
    weights: np.ndarray
    pairs: np.ndarray
    mask: int


def _source_labels(block: Connections, placement: np.ndarray) -> np.ndarray:
    pre = np.asarray(block.pre, dtype=np.int64)
    return INPUT_LABEL_OFFSET + pre if block.from_inputs else placement[pre]


def _pairs_by_key(placement, connections) -> dict[int, np.ndarray]:
    """Per keyed block: connection -> index of its (pre, post) pair."""
    out = {}
    for block in connections:
        if block.key is not None:
            code = _source_labels(block, placement) * N_NEURONS + placement[np.asarray(block.post, np.int64)]
            _, inverse = np.unique(code, return_inverse=True)
            out[block.key] = inverse.ravel()
    return out


def _slots(placement: np.ndarray, connections: Sequence[Connections], pairs_by_key: dict) -> list[_Slot]:
    """Split all connections into slots, grouped by (source, hemisphere, sign, key)."""
    parts = []
    for block in connections:
        pre = np.asarray(block.pre, dtype=np.int64).ravel()
        post = np.asarray(block.post, dtype=np.int64).ravel()
        w = np.asarray(block.weight).ravel()
        if not (pre.shape == post.shape == w.shape):
            raise MappingError("Connections.pre, .post and .weight must have equal length")
        if w.size and (w.min() < 0 or not np.all(np.equal(np.mod(w, 1), 0))):
            raise MappingError("Connections.weight must hold non-negative integers (the sign is the row's)")
        keep = w > 0
        chip_post = placement[post[keep]]
        n = int(keep.sum())
        parts.append((_source_labels(block, placement)[keep], chip_post // N_COLUMNS, chip_post % N_COLUMNS,
                      w[keep].astype(np.int64), pairs_by_key.get(block.key, np.zeros(pre.size, np.int64))[keep],
                      np.full(n, block.inhibitory), np.full(n, -1 if block.key is None else block.key)))
    if not parts:
        return []
    label, hemi, col, weight, pair, inh, key = (np.concatenate(x) for x in zip(*parts))
    if label.size == 0:  # every weight is zero: nothing to lay out
        return []
    order = np.lexsort((col, key, inh, hemi, label))
    label, hemi, col, weight, pair, inh, key = (a[order] for a in (label, hemi, col, weight, pair, inh, key))
    group_start = np.flatnonzero(np.concatenate(([True], (np.diff(label) != 0) | (np.diff(hemi) != 0)
                                                 | (np.diff(inh.astype(int)) != 0) | (np.diff(key) != 0))))
    slots = []
    for lo, hi in zip(group_start, np.append(group_start[1:], label.size)):
        k = int(key[lo])
        slots.extend(_group_slots(int(label[lo]), int(hemi[lo]), bool(inh[lo]), None if k < 0 else k,
                                  col[lo:hi], weight[lo:hi], pair[lo:hi]))
    # big slots first: fewer rows in first-fit
    slots.sort(key=lambda s: -s.columns.size)
    return slots


def _group_slots(label: int, h: int, inhibitory: bool, key: int | None,
                 cols: np.ndarray, weights: np.ndarray, pairs: np.ndarray) -> list[_Slot]:
    """Slots of one (source, hemisphere, sign, key) group; ``cols`` sorted."""
    if key is None:  # static: add up repeated (source, column) pairs
        cols, inverse = np.unique(cols, return_inverse=True)
        weights = np.bincount(inverse.ravel(), weights=weights).astype(np.int64)
        pairs = np.zeros(cols.size, np.int64)
    copies = -(-weights // WEIGHT_MAX)
    # synapse k of entry i goes to layer offset[i] + k; repeats of a column (keyed blocks
    # only) stack after the copies of the previous repeat
    first_of_col = np.searchsorted(cols, cols, side="left")
    before = np.cumsum(copies) - copies
    offset = before - before[first_of_col]
    reps = np.repeat(np.arange(cols.size), copies)
    k = np.arange(reps.size) - np.repeat(before, copies)
    share = weights[reps] // copies[reps] + (k < weights[reps] % copies[reps])
    layer = offset[reps] + k
    slots = []
    for j in range(int(layer.max(initial=-1)) + 1):
        sel = layer == j
        c = cols[reps[sel]]
        used = np.zeros(N_COLUMNS, bool)
        used[c] = True
        mask = int.from_bytes(np.packbits(used, bitorder="little").tobytes(), "little")
        slots.append(_Slot(label, h, inhibitory, key, c, share[sel], pairs[reps[sel]], mask))
    return slots


def _locations(parts, pair_of_connection: np.ndarray) -> SynapseLocations:
    if parts:
        h, r, c, p = (np.concatenate(x).astype(np.int64) for x in zip(*parts))
    else:
        h = r = c = p = np.zeros(0, np.int64)
    n_pairs = int(pair_of_connection.max(initial=-1)) + 1
    return SynapseLocations(h, r, c, p, pair_of_connection, n_pairs)


# -- label pools -------------------------------------------------------------------------

@dataclass
class _PoolGroup:
    """The pooled blocks that share one set of pool rows: same sources, hemisphere, sign.
    ``sources`` are the event labels of pool labels ``0..size-1``; per connection (all
    blocks concatenated): ``column``, ``layer`` (its row within the group), ``label``,
    ``weight``, and the block key and connection index it came from."""

    sources: np.ndarray
    column: np.ndarray
    layer: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    key: np.ndarray
    connection: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.layer.max(initial=-1)) + 1

    def write(self, syn: SynapseConfig, h: int, first: int) -> list[tuple[int, int, int, int]]:
        """Fill rows ``first ..`` of hemisphere ``h``; return the routing entries (every
        source to every pool row, with its pool label)."""
        rows = first + np.arange(self.n_rows)
        syn.labels[h, rows, :] = UNCONNECTED_LABEL
        syn.weights[h, rows, :] = 0
        syn.labels[h, first + self.layer, self.column] = self.label
        syn.weights[h, first + self.layer, self.column] = self.weight
        return [(int(src), h, int(r), i) for r in rows for i, src in enumerate(self.sources)]


def _pool_locations(parts) -> SynapseLocations:
    """Locations of a pooled block from ``(connection, hemisphere, row, column)`` parts:
    synapse ``c`` is connection ``c`` (each connection is one synapse)."""
    if parts:
        conn, h, r, c = (np.concatenate(x).astype(np.int64) for x in zip(*parts))
    else:
        conn = h = r = c = np.zeros(0, np.int64)
    order = np.argsort(conn)
    n = conn.size
    return SynapseLocations(h[order], r[order], c[order], np.arange(n), np.arange(n), n)


def _pool_rows(placement: np.ndarray, n_neurons: int, n_inputs: int,
               pooled: Sequence[Connections]) -> dict[tuple[int, bool], list[_PoolGroup]]:
    """Group the pooled blocks by (hemisphere, sign, sources) and give every connection
    its row within its group: a column's connections take layers ``0, 1, ...`` in block
    order. Checks the pool rules with errors that name the fix."""
    parts: dict[tuple, list] = {}
    for block in pooled:
        pool = block.pool
        pre = np.asarray(block.pre, dtype=np.int64).ravel()
        post = np.asarray(block.post, dtype=np.int64).ravel()
        w = np.asarray(block.weight).ravel()
        index = np.asarray(pool.index, dtype=np.int64).ravel()
        if block.key is None:
            raise MappingError("a label pool needs a keyed block (a plastic projection): its labels are read back")
        if not 1 <= pool.size <= MAX_POOL_SIZE:
            raise MappingError(f"a label pool of {pool.size} sources: a pool holds 1..{MAX_POOL_SIZE} (label "
                               f"{UNCONNECTED_LABEL} marks free synapses); split the sources into smaller pools")
        if not (pre.shape == post.shape == w.shape == index.shape):
            raise MappingError(f"label pool: {index.size} pool labels for {pre.size} connections; give one per "
                               f"connection")
        if w.size and (w.min() < 0 or w.max() > WEIGHT_MAX or not np.all(np.equal(np.mod(w, 1), 0))):
            raise MappingError(f"a pooled connection is one synapse: weights must be integers 0..{WEIGHT_MAX}, "
                               f"got {w.min()}..{w.max()}; lower the weights")
        if index.size and (index.min() < 0 or index.max() >= pool.size):
            raise MappingError(f"pool labels must lie in 0..{pool.size - 1}, got {index.min()}..{index.max()}")
        offset = np.unique(pre - index)
        if offset.size > 1:
            raise MappingError("a label pool's sources must be consecutive (one population): pre - index differs "
                               "between connections")
        if offset.size == 0:
            continue
        members = offset[0] + np.arange(pool.size)
        limit = n_inputs if block.from_inputs else n_neurons
        if members[0] < 0 or members[-1] >= limit:
            raise MappingError(f"label pool sources {members[0]}..{members[-1]} exceed the network's {limit} "
                               f"{'inputs' if block.from_inputs else 'neurons'}")
        sources = INPUT_LABEL_OFFSET + members if block.from_inputs else placement[members]
        chip_post = placement[post]
        for h in np.unique(chip_post // N_COLUMNS):
            sel = np.flatnonzero(chip_post // N_COLUMNS == h)
            group = (int(h), bool(block.inhibitory), tuple(sources.tolist()))
            parts.setdefault(group, []).append((chip_post[sel] % N_COLUMNS, index[sel], w[sel].astype(np.int64),
                                                np.full(sel.size, block.key), sel))
    out: dict[tuple[int, bool], list[_PoolGroup]] = {}
    for (h, inhibitory, sources), blocks in parts.items():
        column, label, weight, key, connection = (np.concatenate(x) for x in zip(*blocks))
        order = np.argsort(column, kind="stable")
        first_of_column = np.searchsorted(column[order], column[order], side="left")
        layer = np.empty_like(column)
        layer[order] = np.arange(column.size) - first_of_column
        out.setdefault((h, inhibitory), []).append(
            _PoolGroup(np.asarray(sources), column, layer, label, weight, key, connection))
    return out
