"""Membrane time constant (``leak_i_bias`` and the leak multiplication/division switches).

calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_leak_bias.py``)
bisects the leak bias (a larger bias gives a shorter time constant) on exponential fits
of the membrane's relaxation, and switches the leak conductance's multiplication (short
targets) or division (long targets) on where the plain range does not reach. Here the
synaptic input is made as fast as it goes (maximal ``i_bias_tau``) so a burst of
excitatory events kicks the membrane almost instantly; the CADC trace after a couple of
microseconds decays with tau_m alone.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration, RowMode

from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration
from .kick import Kick, decay_time_constant, tail_start_us
from .measure import Probe, burst, drive_rows, quiet

MULTIPLY_BELOW_US = 5.0
"""Targets below this use leak multiplication (the plain leak bias tops out near here)."""
DIVIDE_ABOVE_US = 40.0
"""Targets above this use leak division (the plain leak bias would sit near its bottom)."""
REST_LSB = 40.0
ROWS, REPEATS, WEIGHT = 10, 2, 63
FAST_DECAY_US = 1.0
"""The fastest synaptic current (maximal bias, ~0.3 us) has died after this."""
TRIAL_REPEATS = 3
"""Trials per leak dither level and measurement."""


def leak_switches(target_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(multiplication, division) per neuron for a tau_m target (us)."""
    return target_us < MULTIPLY_BELOW_US, target_us > DIVIDE_ABOVE_US


class MembraneTimeConstantCalibration(FieldCalibration):
    """Relaxation time constant (us) of the membrane after a fast excitatory kick."""

    quantity = "tau_m"
    field = "leak_i_bias"
    target_name = "tau_m_us"
    inverted = True
    tolerance = (0.0, 0.08)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        self.target_us = state.targets.per_neuron("tau_m_us")
        config = quiet(state.config)
        n = config.neurons
        n.leak_v_leak[:] = state.line.dac_for(REST_LSB)
        n.excitatory_input_enable[:] = True
        n.excitatory_input_i_bias_tau[:] = CAPMEM_MAX_DAC
        n.excitatory_input_i_bias_gm[:] = CAPMEM_MAX_DAC
        config.synapse_dac_bias[:] = CAPMEM_MAX_DAC
        self.kick = Kick([burst(drive_rows(config, RowMode.EXCITATORY, range(ROWS), WEIGHT), 0.0, REPEATS)],
                         repeats=TRIAL_REPEATS)
        return config

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        start = tail_start_us(self.target_us, FAST_DECAY_US, 2.5)
        return decay_time_constant(probe, config, self.kick, start, start + 4.0 * self.target_us)[0]

    def uncalibrated(self, config: ChipConfiguration, parameters: np.ndarray) -> np.ndarray:
        """The median leak bias among the neurons sharing a switch setting."""
        out = parameters.copy()
        mode = config.neurons.leak_enable_multiplication * 1 + config.neurons.leak_enable_division * 2
        for m in np.unique(mode):
            out[mode == m] = int(np.rint(np.median(parameters[mode == m])))
        return out

    def calibrate(self, probe: Probe, state: CalibrationState, **bounds) -> None:
        """Choose the leak switches from the targets, then search the leak bias."""
        multiply, divide = leak_switches(state.targets.per_neuron("tau_m_us"))
        state.set_dac("leak_enable_multiplication", multiply)
        state.set_dac("leak_enable_division", divide)
        super().calibrate(probe, state, **bounds)
