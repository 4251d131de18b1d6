"""Projection with array storage: presynaptic index, postsynaptic index, weight and delay
of every connection in four numpy arrays (no per-connection Python objects); and
:class:`LabelPoolConnector`, the connector of structural plasticity."""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.connectors import FixedNumberPreConnector
from pyNN.space import Space

from . import simulator
from .mapping import MAX_POOL_SIZE, LabelPool
from .standardmodels.synapses import StaticSynapse

DELAY_TOLERANCE_MS = 1e-9


class Connection(common.Connection):
    """A view of connection ``i`` of a projection (for iteration; storage stays in arrays)."""

    def __init__(self, projection, i):
        self.projection, self.i = projection, i
        self.presynaptic_index = int(projection._pre[i])
        self.postsynaptic_index = int(projection._post[i])

    @property
    def weight(self):
        return float(self.projection._weight[self.i])

    @property
    def delay(self):
        return float(self.projection._delay[self.i])

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class LabelPoolConnector(FixedNumberPreConnector):
    """Structural plasticity (Billaudelle et al. 2021, Neural Networks 133): every target
    neuron keeps ``fan_in`` synapses, each listening to one source of the presynaptic
    population (the *pool*, at most 63 sources), and a PPU kernel may rewire them.

    The initial connections are those of ``FixedNumberPreConnector(fan_in,
    with_replacement=False)``: ``fan_in`` distinct random sources per target. On the
    chip the projection is a label pool (:mod:`.mapping`): the pool's sources share
    ``fan_in`` synapse-driver rows, source ``i`` reaching every one of them with 6-bit
    synapse label ``i``, so a synapse's label names its source. A kernel that rewrites
    labels within ``0..pool size - 1`` (``structural``: set its ``label_count`` to the pool
    size) moves a synapse to another source; after ``run()`` the projection holds the
    rewired connections (``proj.get("weight", format="list")`` lists the current sources,
    each target still has exactly ``fan_in``). Needs ``PlasticSynapse(plasticity_rule=...)``,
    integer hardware weights 0..63 (one synapse each; CalibHXNeuron* / HXNeuron targets)
    and one population as the pool; projections from the same pool onto other targets
    share the rows (as many as the largest ``fan_in``). ``reset()`` restores the initial
    connections and weights.
    """

    def __init__(self, fan_in: int, rng=None, safe: bool = True, callback=None):
        if not (isinstance(fan_in, (int, np.integer)) and fan_in >= 1):
            raise ValueError(f"LabelPoolConnector(fan_in={fan_in!r}): the fan-in must be a positive integer")
        super().__init__(int(fan_in), allow_self_connections=True, with_replacement=False, rng=rng, safe=safe,
                         callback=callback)
        self.fan_in = int(fan_in)

    def connect(self, projection):
        pre = projection.pre
        if hasattr(pre, "populations") or pre.size > MAX_POOL_SIZE:
            raise errors.ConnectionError(
                f"LabelPoolConnector: the pool must be one population of at most {MAX_POOL_SIZE} neurons or "
                f"sources (6-bit labels, label {MAX_POOL_SIZE} marks free synapses); {pre.label!r} has {pre.size}")
        if self.fan_in > pre.size:
            raise errors.ConnectionError(f"LabelPoolConnector(fan_in={self.fan_in}): the pool {pre.label!r} has only "
                                         f"{pre.size} sources; choose fan_in <= {pre.size}")
        if getattr(projection.synapse_type, "plasticity_rule", None) is None:
            raise errors.ConnectionError(
                "LabelPoolConnector needs a PlasticSynapse with a plasticity_rule (a kernel that rewires labels, "
                "e.g. 'structural'); for fixed random connectivity use FixedNumberPreConnector")
        super().connect(projection)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population, connector,
                                   synapse_type, source, receptor_type, space, label)
        if any(getattr(p.celltype, "hardware", None) == "source" for p in getattr(self.post, "populations", [self.post])):
            raise errors.ConnectionError("spike sources cannot receive connections")
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._arrays = None
        connector.connect(self)
        self.pooled = isinstance(connector, LabelPoolConnector)
        """Mapped as a label pool whose sources a kernel may rewire (:class:`LabelPoolConnector`)."""
        self._initial_weight = self._weight.copy()
        self._initial_pre = self._pre.copy()
        simulator.state.projections.append(self)
        rule = getattr(self.synapse_type, "plasticity_rule", None)
        if rule is not None:
            rule._projections.append(self)

    # -- storage ---------------------------------------------------------------------
    def _consolidate(self):
        if self._arrays is None:
            if self._chunks:
                self._arrays = [np.concatenate(parts) for parts in zip(*self._chunks)]
            else:
                self._arrays = [np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)]
            self._chunks = []
        return self._arrays

    _pre = property(lambda self: self._consolidate()[0])
    _post = property(lambda self: self._consolidate()[1])
    _weight = property(lambda self: self._consolidate()[2])
    _delay = property(lambda self: self._consolidate()[3])

    def __len__(self):
        return int(self._pre.size)

    def __getitem__(self, i):
        return Connection(self, i)

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    @property
    def plastic(self) -> bool:
        return getattr(self.synapse_type, "plasticity_rule", None) is not None

    # -- the one hook every connector uses ------------------------------------------
    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None,
                            **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("BrainScaleS-2 backend: multicompartment locations are not supported")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        weight = np.broadcast_to(np.asarray(connection_parameters.pop("weight"), dtype=float), pre.shape)
        delay = np.broadcast_to(np.asarray(connection_parameters.pop("delay"), dtype=float), pre.shape)
        if connection_parameters:
            raise NotImplementedError(f"synapse parameters {sorted(connection_parameters)} are not supported")
        self._check_delays(delay)
        if self._arrays is not None:
            self._chunks = [tuple(self._arrays)]
            self._arrays = None
        self._chunks.append((pre, np.full(pre.size, postsynaptic_index, np.int64), weight.copy(), delay.copy()))

    def _check_delays(self, delay: np.ndarray) -> None:
        minimum = self._simulator.state.min_delay
        bad = np.abs(delay - minimum) > DELAY_TOLERANCE_MS
        if bad.any():
            raise errors.ConnectionError(
                f"delay {delay[bad][0]} ms: BrainScaleS-2 synapses have no delays; only the minimum delay "
                f"({minimum} ms, the default) is allowed. Leave delay out or set it to sim.get_min_delay()")

    # -- array access for get()/set() ------------------------------------------------
    def _get_attributes_as_list(self, names):
        columns = {"presynaptic_index": self._pre, "postsynaptic_index": self._post,
                   "weight": self._weight, "delay": self._delay}
        return list(zip(*(columns[n].tolist() for n in names)))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        combine = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        out = []
        for name in names:
            values = {"weight": self._weight, "weights": self._weight, "delay": self._delay, "delays": self._delay}[name]
            array = np.full((self.pre.size, self.post.size), np.nan)
            if multiple_synapses == "sum":
                array[self._pre, self._post] = 0.0
                np.add.at(array, (self._pre, self._post), values)
            else:
                for p, q, v in zip(self._pre, self._post, values):
                    array[p, q] = v if np.isnan(array[p, q]) else combine(array[p, q], v)
            out.append(array)
        return out

    def _set_attributes(self, parameter_space):
        parameter_space.evaluate(mask=(slice(None), slice(None)))
        for name, value in parameter_space.items():
            if name not in ("weight", "delay"):
                raise NotImplementedError(f"cannot set {name!r} on a BrainScaleS-2 projection")
            if isinstance(value, np.ndarray) and value.ndim == 2:
                new = value[self._pre, self._post].astype(float)
            else:
                new = np.broadcast_to(np.asarray(value, dtype=float), self._pre.shape).copy()
            if name == "delay":
                self._check_delays(new)
            self._consolidate()[2 if name == "weight" else 3] = new
            if name == "weight" and not self._simulator.state.running:
                self._initial_weight = new.copy()

    # -- plasticity support ----------------------------------------------------------
    @property
    def label_pool(self) -> LabelPool | None:
        """The :class:`~.mapping.LabelPool` the mapping lays a pooled projection out with
        (pool label = index in the presynaptic population); None for other projections."""
        if not self.pooled:
            return None
        return LabelPool(self.pre.size, self._pre.copy(), owner=self)

    def _store_weights(self, weights: np.ndarray) -> None:
        """Weights (PyNN units) after a run of a plastic projection."""
        self._consolidate()[2] = np.asarray(weights, dtype=float)

    def _store_pool_labels(self, index: np.ndarray) -> None:
        """Sources (index in the pool) of a pooled projection's connections after a run."""
        index = np.asarray(index, dtype=np.int64)
        if index.shape != self._pre.shape:
            raise ValueError(f"{index.size} pool labels for {len(self)} connections")
        if np.any(index < 0):
            raise errors.ConnectionError(
                f"the kernel gave {int((index < 0).sum())} synapses of {self.label!r} labels outside the pool "
                f"(0..{self.pre.size - 1}): a pooled projection keeps every target's fan-in; set the kernel's "
                f"label count to the pool size ({self.pre.size})")
        self._consolidate()[0] = index

    def _restore_initial_weights(self) -> None:
        if self.plastic:
            self._consolidate()[2] = self._initial_weight.copy()
        if self.pooled:
            self._consolidate()[0] = self._initial_pre.copy()
