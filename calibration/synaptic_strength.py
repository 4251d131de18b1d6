"""Synaptic input strength (``*_input_i_bias_gm``): equal weights act alike on every neuron.

As in calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_synin.py``):
first every neuron is measured at the target OTA bias, the median of those strengths
becomes the target, then the OTA bias of each neuron is bisected until its strength
matches. Strength here is what the PyNN layer needs: the jump of dV/dt at the onset of a
PSP per weight LSB (CADC LSB per hardware us), i.e. I0 / C_m. It is the amplitude of a
CUBA PSP fit with the neuron's calibrated tau_syn and a free (long) membrane time
constant, after single events through one excitatory and one inhibitory row.

With per-neuron ``i_synin_gm`` targets the median strength is scaled per neuron by
target / median(target); for the usual scalar target this is calix' definition.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import ChipConfiguration

from .algorithms import NoisyBinarySearch
from .base import Calibration, CalibrationState
from .fitting import fit_psp
from .kick import Kick, baseline, window
from .measure import Probe, burst, drive_both_signs, quiet

REST_LSB = 120.0
WEIGHT = 63
CHARGE_US = 10.0
"""Events per kick: CHARGE_US / tau_syn (at least 1), so short synapses still give PSPs of
~30 CADC LSB (the PSP area scales with tau_syn)."""
LEAK_BIAS_DAC = 300
"""With leak division: a membrane time constant far above tau_syn (the PSP integrates)."""
WINDOW_TAU_SYN = 5.0
"""Fit window after the event, in units of the neuron's tau_syn."""
TRIAL_REPEATS = 3
"""Trials per sign, leak dither level and measurement."""
SIGNS = ("exc", "inh")


class SynapticStrengthCalibration(Calibration):
    """Parameter shape (2, 512): excitatory then inhibitory ``i_bias_gm``; results in
    CADC LSB per us per weight LSB (positive for both signs)."""

    quantity = "syn_strength"
    tolerance = (0.0, 0.05)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        self.tau_syn_us = np.stack([state.achieved[f"tau_syn_{s}"] for s in SIGNS])
        config = quiet(state.config)
        n = config.neurons
        n.leak_enable_multiplication[:] = False
        n.leak_enable_division[:] = True
        n.leak_i_bias[:] = LEAK_BIAS_DAC
        n.leak_v_leak[:] = state.line.dac_for(REST_LSB)
        config.synapse_dac_bias[:] = state.targets.per_neuron("synapse_dac_bias").astype(np.int32)
        exc, inh = drive_both_signs(config, 1, WEIGHT)
        self.events = max(1, int(round(CHARGE_US / float(np.median(self.tau_syn_us)))))
        self.kick = Kick([burst(exc, 0.0, self.events), burst(inh, 0.0, self.events)], repeats=TRIAL_REPEATS)
        return config

    def target(self, state: CalibrationState) -> np.ndarray:
        return state.references[self.quantity]

    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        config.neurons.excitatory_input_i_bias_gm[:] = parameters[0]
        config.neurons.inhibitory_input_i_bias_gm[:] = parameters[1]

    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        return np.stack([config.neurons.excitatory_input_i_bias_gm, config.neurons.inhibitory_input_i_bias_gm])

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        stop = WINDOW_TAU_SYN * self.tau_syn_us
        trace = self.kick.record(probe, config, self.kick.t0_us + float(stop.max()) + 0.5)
        rest = baseline(trace, self.kick.t0_us)
        t = trace.time_us - self.kick.t0_us
        strengths = []
        for i, sign in enumerate((1.0, -1.0)):
            weights = window(trace, self.kick.t0_us, self.kick.t0_us + stop[i])[i]
            fit = fit_psp(t, trace.samples[i], self.tau_syn_us[i], rest[i], weights)
            strengths.append(sign * fit.amplitude / (WEIGHT * self.events))
        return np.stack(strengths)


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """Measure at the target OTA bias, take the median as target, search the OTA bias."""
    gm_target = np.stack([state.targets.per_neuron(f"i_synin_gm_{s}") for s in SIGNS])
    calibration = SynapticStrengthCalibration()
    at_target = calibration.measure_with(probe, calibration.measurement_config(state),
                                         np.rint(gm_target).astype(np.int64))
    target = (np.median(at_target, axis=1, keepdims=True) * gm_target
              / np.median(gm_target, axis=1, keepdims=True))
    state.references[calibration.quantity] = target
    found = calibration.run(probe, state, target)
    ok = found.success & calibration.within_tolerance(found.results, target)
    for i, (sign, name) in enumerate(zip(SIGNS, ("excitatory", "inhibitory"))):
        state.store(f"syn_strength_{sign}", f"{name}_input_i_bias_gm", found.values[i], found.results[i], ok[i])
    state.config.synapse_dac_bias[:] = state.targets.per_neuron("synapse_dac_bias").astype(np.int32)
