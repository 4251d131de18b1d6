"""Population, PopulationView and Assembly: parameters kept as arrays on the host; the
chip is configured from them at each ``run()``."""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


def _parameters_of(population, names):
    celltype = population.celltype
    if any(name in celltype.computed_parameters() for name in names):
        native_names = celltype.get_native_names()  # computed ones need all natives
    else:
        native_names = celltype.get_native_names(*names)
    return celltype.reverse_translate(population._get_native_parameters(*native_names))


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return _parameters_of(self, names)

    def _get_native_parameters(self, *names):
        values = {}
        for name in names:
            value = self.parent._parameters[name]
            values[name] = simplify(value[self.mask] if isinstance(value, np.ndarray) else value)
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        for name, value in parameter_space.items():
            try:
                self.parent._parameters[name][self.mask] = value.evaluate(simplify=True)
            except ValueError as err:
                raise errors.InvalidParameterValueError(f"{name} should not be of type {type(value)}") from err

    def _set_initial_value_array(self, variable, initial_values):
        """The chip starts every run at rest: initial values other than v_rest are not
        supported (accepted and ignored, as on pynn_brainscales)."""

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def record(self, variables, to_file=None, sampling_interval=None, locations=None, device="madc"):
        _record(self, variables, to_file, sampling_interval, locations, device)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        first = simulator.state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        if isinstance(self.celltype, StandardCellType):
            parameter_space = self.celltype.native_parameters
        else:
            parameter_space = self.celltype.parameter_space
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(mask=self._mask_local, simplify=False)
        self._parameters = parameter_space.as_dict()
        for cell in self.all_cells:
            cell.parent = self
        simulator.state.id_counter += self.size
        simulator.state.populations.append(self)
        rule = getattr(self.celltype, "plasticity_rule", None)
        if rule is not None:
            rule._populations.append(self)

    def _set_initial_value_array(self, variable, initial_values):
        """The chip starts every run at rest (see PopulationView)."""

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _parameters_of(self, names)

    def _get_native_parameters(self, *names):
        return ParameterSpace({name: simplify(self._parameters[name]) for name in names}, shape=(self.local_size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False, mask=self._mask_local)
        for name, value in parameter_space.items():
            self._parameters[name] = value

    def native_array(self, name: str) -> np.ndarray:
        """A native parameter, one value per neuron (shape (size,))."""
        return np.asarray(self._parameters[name])

    def record(self, variables, to_file=None, sampling_interval=None, locations=None, device="madc"):
        """Record ``variables`` (``'spikes'``, ``'v'``, ...). Analog variables come from the
        MADC (``device='madc'``, at most one even and one odd chip neuron in the whole
        network) or from CADC sampling of any number of neurons (``device='cadc'``,
        ``sampling_interval`` in biological ms, default the CADC's fastest rate)."""
        _record(self, variables, to_file, sampling_interval, locations, device)


def _record(population, variables, to_file, sampling_interval, locations, device):
    if device not in ("madc", "cadc"):
        raise ValueError(f"device {device!r} is not supported; use 'madc' (fast, <= 1 even + 1 odd neuron) "
                         f"or 'cadc' (all neurons, slower sampling)")
    recorder = population.recorder
    if variables is not None:
        recorder.set_device(device, sampling_interval)
    common.Population.record(population, variables, to_file, None, locations)
