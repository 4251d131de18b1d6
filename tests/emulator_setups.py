"""Small chip configurations shared by the emulator tests (hardware units)."""
from __future__ import annotations

from emulator.fixed_pattern import FixedPattern
from emulator.interface import ChipConfiguration, EventRouting, RowMode
from emulator.transfer import NeuronPhysics, neuron_physics

INPUT_LABEL = 7


def single_neuron(neuron: int = 0, weight: int = 63, inhibitory: bool = False, threshold: bool = True,
                  leak_dac: int = 214, threshold_dac: int = 322, reset_dac: int = 190,
                  tau_m_bias: int = 300, tau_syn_bias: int = 30) -> ChipConfiguration:
    """One neuron driven through one synapse by events of label ``INPUT_LABEL``.

    Nominal values: leak 251 mV (~80 CADC LSB), threshold 378 mV (~125), reset 223 mV
    (~70), tau_m = 3000 / 300 = 10 us, tau_syn = 300 / 30 = 10 us.
    """
    cfg = ChipConfiguration()
    n = cfg.neurons
    n.leak_v_leak[neuron] = leak_dac
    n.threshold_v_threshold[neuron] = threshold_dac
    n.reset_v_reset[neuron] = reset_dac
    n.leak_i_bias[neuron] = tau_m_bias
    n.excitatory_input_i_bias_tau[neuron] = tau_syn_bias
    n.inhibitory_input_i_bias_tau[neuron] = tau_syn_bias
    n.threshold_enable[neuron] = threshold
    n.excitatory_input_enable[neuron] = True
    n.inhibitory_input_enable[neuron] = True
    hemisphere, column = divmod(neuron, 256)
    cfg.synapses.weights[hemisphere, 0, column] = weight
    cfg.synapses.labels[hemisphere, 0, column] = 3
    cfg.synapses.row_modes[hemisphere, 0] = RowMode.INHIBITORY if inhibitory else RowMode.EXCITATORY
    cfg.routing = EventRouting.from_entries([(INPUT_LABEL, hemisphere, 0, 3)])
    return cfg


def design_physics(cfg: ChipConfiguration) -> NeuronPhysics:
    """The physical parameters of the ideal (design) chip for ``cfg``."""
    return neuron_physics(cfg.neurons, FixedPattern.ideal(), cfg.synapse_dac_bias)
