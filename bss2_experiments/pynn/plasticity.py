"""PPU plasticity hook: a kernel of ``ppu_firmware`` with its parameters and timer,
attached to projections (``PlasticSynapse(plasticity_rule=rule)``) or populations
(``cell_type(plasticity_rule=rule)``), as pynn_brainscales' ``PlasticityRule`` / ``Timer``.

The emulator runs the kernel (``ChipConfiguration.plasticity``); after ``run()`` the
weights it left are in ``proj.get('weight', format='array')`` and its mailbox in
``rule.mailbox`` / ``rule.get_observable(name)``. For a projection made with
:class:`~.projections.LabelPoolConnector` the kernel works on the pool's rows only, and
the sources it rewired to (the labels it left) become the projection's connections.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from emulator.interface import N_COLUMNS, N_HEMISPHERES, N_ROWS, PlasticityProgram, PlasticityTimer
from . import scaling, simulator
from .mapping import INPUT_LABEL_OFFSET


@dataclass(frozen=True)
class Timer:
    """When the kernel runs: at ``start``, then every ``period``, ``num_periods`` times
    (biological ms, as the rest of the script)."""

    start: float
    period: float
    num_periods: int

    def to_hardware(self) -> PlasticityTimer:
        return PlasticityTimer(float(scaling.ms_to_us(self.start)), float(scaling.ms_to_us(self.period)),
                               int(self.num_periods))


@dataclass(frozen=True)
class Observable:
    """A mailbox field the kernel writes: ``count`` values of ``dtype`` (big-endian, the
    PPU's byte order) at byte ``offset``."""

    offset: int
    dtype: str = "u1"
    count: int = 1


class PlasticityRule:
    """``PlasticityRule(kernel="homeostasis", timer=Timer(...), parameters={...})``.

    ``parameters`` is a dict (name -> int or int array, as the kernel's parameter table
    in ``ppu_firmware/kernels`` documents) or a callable ``f(rows, columns) -> dict``
    that receives where the attached projections and populations landed: ``rows`` and
    ``columns`` are bool arrays of shape (2, 256) (hemisphere, synapse row / column).
    A callable that takes a keyword ``event_labels`` also gets a function
    ``event_labels(population) -> int array``: the 14-bit labels the population's events
    carry (a spike source's, so a kernel can send them with ``hal_send_spike`` in its
    place; a neuron population's own output labels).
    ``observables`` name mailbox fields to decode after a run.
    """

    def __init__(self, kernel: str, timer: Timer, parameters: Mapping | Callable | None = None,
                 observables: Mapping[str, Observable] | None = None):
        self.kernel = kernel
        self.timer = timer
        self.parameters = parameters if parameters is not None else {}
        self.observables = dict(observables or {})
        self._projections = []
        self._populations = []
        self.rows = np.zeros((N_HEMISPHERES, N_ROWS), bool)
        self.columns = np.zeros((N_HEMISPHERES, N_COLUMNS), bool)
        self.mailbox = None
        """(n_trials, 2, mailbox_bytes) uint8 after a run."""
        self.cycles_per_call = None
        self._chip_map = None
        simulator.state.plasticity_rules.append(self)

    @contextlib.contextmanager
    def disabled(self):
        """``with rule.disabled(): ...``: runs inside leave the kernel out (e.g. testing a
        trained network with ``run_batch``, whose trials then run batched)."""
        rules = simulator.state.plasticity_rules
        position = rules.index(self)
        rules.remove(self)
        try:
            yield self
        finally:
            rules.insert(position, self)

    def _program(self, chip_map, neuron_offset, source_offset) -> PlasticityProgram:
        """The chip-level program, once the network is mapped."""
        self.rows[:] = False
        self.columns[:] = False
        self._chip_map = chip_map
        routing = chip_map.routing
        for proj in self._projections:
            for p in (proj.post.populations if hasattr(proj.post, "populations") else [proj.post]):
                self._mark_columns(chip_map, neuron_offset, p)
            if proj.pooled:  # the pool's rows only (targets may have other inputs)
                loc = chip_map.locations[chip_map.pool_key(proj)]
                self.rows[loc.hemisphere, loc.row] = True
                continue
            chips = self._chip_columns_of(chip_map, neuron_offset, proj.post)
            h, c = chips // N_COLUMNS, chips % N_COLUMNS
            for hh in np.unique(h):
                rows = np.unique(np.asarray(routing.row)[np.asarray(routing.hemisphere) == hh])
                used = chip_map.synapses.weights[hh][np.ix_(rows, c[h == hh])].any(axis=1)
                self.rows[hh, rows[used]] = True
        for pop in self._populations:
            self._mark_columns(chip_map, neuron_offset, pop)
        hemispheres = tuple(int(h) for h in np.flatnonzero(self.rows.any(1) | self.columns.any(1))) or (0, 1)
        if callable(self.parameters):
            extra = {}
            if "event_labels" in inspect.signature(self.parameters).parameters:
                extra["event_labels"] = functools.partial(self._event_labels, chip_map, neuron_offset, source_offset)
            params = self.parameters(self.rows.copy(), self.columns.copy(), **extra)
        else:
            params = dict(self.parameters)
        return PlasticityProgram(self.kernel, self.timer.to_hardware(), params, hemispheres)

    @staticmethod
    def _chip_columns_of(chip_map, neuron_offset, population) -> np.ndarray:
        parent = getattr(population, "parent", population)
        if hasattr(population, "populations"):
            return np.concatenate([PlasticityRule._chip_columns_of(chip_map, neuron_offset, p)
                                   for p in population.populations])
        idx = parent.id_to_index(np.asarray(population.all_cells, dtype=int))
        return chip_map.placement[neuron_offset[parent] + np.atleast_1d(idx)]

    @staticmethod
    def _event_labels(chip_map, neuron_offset, source_offset, population) -> np.ndarray:
        parent = getattr(population, "parent", population)
        idx = np.atleast_1d(parent.id_to_index(np.asarray(population.all_cells, dtype=int)))
        if parent in source_offset:
            return INPUT_LABEL_OFFSET + source_offset[parent] + idx
        if parent in neuron_offset:
            return chip_map.placement[neuron_offset[parent] + idx].astype(np.int64)
        raise ValueError(f"population {population.label!r} is not part of the network that was mapped")

    def _mark_columns(self, chip_map, neuron_offset, population) -> None:
        chips = self._chip_columns_of(chip_map, neuron_offset, population)
        self.columns[chips // N_COLUMNS, chips % N_COLUMNS] = True

    def _store_output(self, output) -> None:
        """After a run: the mailbox, and the sources of pooled projections (trial 0)."""
        self.mailbox = output.mailbox
        self.cycles_per_call = output.cycles_per_call
        for proj in self._projections:
            if proj.pooled:
                key = self._chip_map.pool_key(proj)
                proj._store_pool_labels(self._chip_map.read_pool_labels(key, output.labels[0]))

    def get_observable(self, name: str) -> np.ndarray:
        """Decoded mailbox field ``name``: shape (n_trials, 2 hemispheres, count)."""
        if self.mailbox is None:
            raise RuntimeError("no mailbox yet: run() the network first")
        if name not in self.observables:
            raise KeyError(f"unknown observable {name!r}; declared: {sorted(self.observables)}")
        obs = self.observables[name]
        dtype = np.dtype(obs.dtype).newbyteorder(">")
        raw = self.mailbox[..., obs.offset:obs.offset + dtype.itemsize * obs.count]
        return np.ascontiguousarray(raw).view(dtype).astype(dtype.newbyteorder("="))
