"""The shape of one calibration step, after calix' ``base.Calib`` (Electronic Visions,
github electronicvisions/calix, ``common/base.py``): a calibration declares how to
configure its parameter (:meth:`Calibration.configure_parameters`) and how to measure the
parameter's effect (:meth:`Calibration.measure_results`); a search algorithm from
:mod:`calibration.algorithms` is hooked in and does the rest, for all neurons at once.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration

from .algorithms import BinarySearch, PowerLawSearch, SearchResult
from .measure import PotentialLine, Probe
from .targets import CalibrationTargets


@dataclass
class CalibrationState:
    """What a calibration run has found so far.

    ``config`` is the chip configuration with every value calibrated up to now; ``dac``
    (NeuronConfig field -> (512,) int), ``achieved`` (quantity -> measured values) and
    ``success`` (quantity -> (512,) bool) collect the results; ``line`` is the measured
    leak DAC -> CADC map used to place membranes for measurements.
    """

    config: ChipConfiguration
    targets: CalibrationTargets
    dac: dict[str, np.ndarray] = field(default_factory=dict)
    achieved: dict[str, np.ndarray] = field(default_factory=dict)
    success: dict[str, np.ndarray] = field(default_factory=dict)
    line: PotentialLine | None = None
    references: dict[str, np.ndarray] = field(default_factory=dict)
    """Targets derived during the run (e.g. the median synaptic strength), by quantity."""
    before: dict[str, np.ndarray] = field(default_factory=dict)
    """Values at the median parameters (calix' "uncalibrated") measured by the steps
    themselves (those :func:`calibration.final.measure_final` does not cover)."""

    def set_dac(self, name: str, values: np.ndarray) -> None:
        """Store calibrated values of the NeuronConfig field ``name`` and apply them."""
        current = getattr(self.config.neurons, name)
        current[...] = np.asarray(values).astype(current.dtype)
        self.dac[name] = current.copy()

    def store(self, quantity: str, name: str, values: np.ndarray, achieved: np.ndarray,
              success: np.ndarray) -> None:
        """Apply calibrated ``values`` of field ``name``; record what ``quantity`` achieved."""
        self.set_dac(name, values)
        self.achieved[quantity] = np.asarray(achieved, dtype=float)
        self.success[quantity] = np.asarray(success, dtype=bool)


class Calibration(ABC):
    """One integer parameter per entry, searched so a measured quantity hits its target.

    Subclasses set :attr:`quantity`, :attr:`inverted` (a larger parameter gives a smaller
    result) and implement :meth:`measurement_config`, :meth:`configure_parameters` and
    :meth:`measure_results`. The search runs on copies of the measurement configuration.
    """

    quantity: str = ""
    inverted: bool = False
    measured: np.ndarray | None = None
    """Bool mask of the entries :meth:`measure_results` measures (the others give NaN), set
    by :func:`search_split`; None = all."""
    tolerance: tuple[float, float] = (0.0, 0.0)
    """(absolute, relative) deviation from the target within which an entry succeeds."""

    def __init__(self, algorithm=None):
        self.algorithm = algorithm if algorithm is not None else BinarySearch()

    @abstractmethod
    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        """The configuration measurements start from, built from the calibrated state."""

    @abstractmethod
    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        """Write ``parameters`` (int array) into ``config`` in place."""

    @abstractmethod
    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        """The parameters as currently set in ``config`` (same shape as the search)."""

    @abstractmethod
    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        """Measure the quantity for every entry (same shape as the parameters)."""

    @abstractmethod
    def target(self, state: CalibrationState) -> np.ndarray:
        """The target of the search (same shape as the parameters)."""

    def uncalibrated(self, config: ChipConfiguration, parameters: np.ndarray) -> np.ndarray:
        """calix' "uncalibrated" reference: every entry gets the median calibrated value
        (along the neuron axis)."""
        median = np.rint(np.median(parameters, axis=-1, keepdims=True)).astype(np.int64)
        return np.broadcast_to(median, parameters.shape).copy()

    def measure_with(self, probe: Probe, config: ChipConfiguration, parameters: np.ndarray) -> np.ndarray:
        """Configure a copy of ``config`` with ``parameters`` and measure."""
        cfg = config.copy()
        self.configure_parameters(cfg, np.asarray(parameters))
        return self.measure_results(probe, cfg)

    def within_tolerance(self, results: np.ndarray, target: np.ndarray) -> np.ndarray:
        """True where ``results`` lie within :attr:`tolerance` of ``target``."""
        absolute, relative = self.tolerance
        return np.abs(results - target) <= absolute + relative * np.abs(target)

    def run(self, probe: Probe, state: CalibrationState, target: np.ndarray, **bounds) -> SearchResult:
        """Search the parameter for ``target`` (broadcastable to the parameter shape)."""
        config = self.measurement_config(state)
        return self.algorithm.search(lambda p: self.measure_with(probe, config, p), target,
                                     inverted=self.inverted, **bounds)


class FieldCalibration(Calibration):
    """A calibration of one NeuronConfig field (:attr:`field`, shape (512,)) towards the
    target :attr:`target_name` of :class:`CalibrationTargets`."""

    field: str = ""
    target_name: str = ""

    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        getattr(config.neurons, self.field)[:] = parameters

    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        return getattr(config.neurons, self.field).copy()

    def target(self, state: CalibrationState) -> np.ndarray:
        return state.targets.per_neuron(self.target_name)

    def calibrate(self, probe: Probe, state: CalibrationState, **bounds) -> None:
        """Search the field for its target (``bounds``: per-neuron ``low``/``high``) and
        store the DAC values, achieved values and success flags in ``state``."""
        target = self.target(state)
        found = self.run(probe, state, target, **bounds)
        state.store(self.quantity, self.field, found.values, found.results,
                    found.success & self.within_tolerance(found.results, target))


def search_split(calibration: Calibration, probe: Probe, state: CalibrationState, target: np.ndarray,
                 short: np.ndarray) -> SearchResult:
    """Search the entries with ``short`` targets (MADC) with :class:`PowerLawSearch` and the
    others (CADC) with the calibration's own algorithm; each search leaves the other
    group's parameters fixed and unmeasured. Returns the merged result."""
    parts = []
    for group, algorithm in ((~short, calibration.algorithm), (short, PowerLawSearch())):
        if not group.any():
            continue
        calibration.measured = group
        config = calibration.measurement_config(state)
        fixed = np.where(group, 0, 1)
        found = algorithm.search(lambda p: calibration.measure_with(probe, config, p), target,
                                 inverted=calibration.inverted, low=np.where(group, 0, fixed),
                                 high=np.where(group, CAPMEM_MAX_DAC, fixed))
        parts.append((group, found))
    calibration.measured = None
    values, results, success = (np.zeros(target.shape, np.int64), np.full(target.shape, np.nan),
                                np.zeros(target.shape, bool))
    for group, found in parts:
        values[group], results[group], success[group] = found.values[group], found.results[group], found.success[group]
    return SearchResult(values, results, success, sum(f.n_measurements for _, f in parts))
