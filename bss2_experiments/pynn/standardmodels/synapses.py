"""Synapse types. The chip's synapses have no delay: ``delay`` must equal the minimum
delay (PyNN's default, one time step), which the chip realises as its own event latency."""
from __future__ import annotations

from pyNN.standardmodels import build_translations, synapses

from .. import simulator


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__ + """
    Weights: nA for the standard current-based cells, integer hardware weights (0..63 per
    synapse, larger values spread over several synapses) for HXNeuron / CalibHXNeuron*.
    """
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    plasticity_rule = None

    def _get_minimum_delay(self):
        return simulator.state.min_delay


class PlasticSynapse(StaticSynapse):
    """A synapse whose weights a PPU kernel may change (pynn_brainscales' name):
    ``PlasticSynapse(weight=..., plasticity_rule=rule)``. After ``run()``,
    ``proj.get('weight', format='array')`` returns the weights the kernel left."""

    def __init__(self, plasticity_rule=None, **parameters):
        super().__init__(**parameters)
        self.plasticity_rule = plasticity_rule
