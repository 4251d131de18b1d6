"""Excitatory and inhibitory synaptic time constants (``*_input_i_bias_tau``), in lockstep.

calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_synin.py``,
``SynTimeConstantCalib``) fits the decay of the synaptic input after stimuli and
bisects the time-constant bias (a larger bias gives a shorter time constant). Here the
membrane is made much faster than the synapse (leak multiplication, maximal leak bias),
so it follows the synaptic current and the CADC trace after a kick decays with tau_syn.
Trial 0 kicks through excitatory rows, trial 1 through inhibitory rows, so one search
over a (2, 512) parameter array calibrates both inputs.

Targets below :data:`MADC_BELOW_US` (calix' range goes down to 0.3 us) are too fast for
the CADC: those neurons are measured on MADC traces of the synaptic input line itself
after one event (calix ``hagen/neuron_synin.py`` does the same), two neurons per run
(:mod:`calibration.madc`), and searched with :class:`~calibration.algorithms.PowerLawSearch`
(4 measurements instead of 13, since each costs one run per neuron pair).
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration, MADCSource, Stimulus

from . import madc
from .algorithms import NoisyBinarySearch
from .base import Calibration, CalibrationState, search_split
from .kick import Kick, decay_time_constant, tail_start_us
from .measure import Probe, burst, drive_both_signs, quiet

REST_LSB = 120.0
"""Membrane read before the kicks: room for excitatory (up) and inhibitory (down) ones."""
ROWS, REPEATS, WEIGHT = 8, 4, 63
"""Each kick: every one of ROWS rows per sign receives REPEATS events of weight WEIGHT."""
MEASUREMENT_GM_DAC = 1000
FAST_DECAY_US = 1.5
"""The membrane with the fastest leak (~0.4 us) has followed the current after this."""
TAIL_FRACTION = 0.4
"""The fit starts this fraction of the shortest tau_syn target after the kick (1.5..2.5 us):
by then the membrane's own ~0.4 us response has died below the CADC's resolution (a fixed
start at 1.5 us left +0.6 % in tau_syn at 5 us on the noise-free chip)."""
SIGNS = ("exc", "inh")
MADC_BELOW_US = 2.0
"""Targets below this are measured on the MADC (the CADC's 0.54 us samples cannot follow them)."""
MADC_T0_US, MADC_START_US, MADC_WINDOW_TAU = 1.0, 0.12, 4.0
"""MADC measurement: one event at MADC_T0_US; the decay is fitted from MADC_START_US after
it (past the 34 ns sample in which the current jumps) over MADC_WINDOW_TAU target time constants."""
MADC_GM_DAC, MADC_WEIGHT = 500, 63
"""One weight-63 event at the default OTA bias: ~24 nA, ~240 MADC LSB, far from clipping."""
MADC_SOURCES = (MADCSource.EXCITATORY_SYNIN, MADCSource.INHIBITORY_SYNIN)


class SynapticTimeConstantCalibration(Calibration):
    """Parameter shape (2, 512): excitatory then inhibitory ``i_bias_tau``."""

    quantity = "tau_syn"
    inverted = True
    tolerance = (0.0, 0.08)

    def __init__(self):
        super().__init__(NoisyBinarySearch())

    def measurement_config(self, state: CalibrationState) -> ChipConfiguration:
        self.targets_us = targets_of(state)
        self.short = self.targets_us < MADC_BELOW_US
        self.madc_config = quiet(state.config)
        self.madc_config.neurons.excitatory_input_i_bias_gm[:] = MADC_GM_DAC
        self.madc_config.neurons.inhibitory_input_i_bias_gm[:] = MADC_GM_DAC
        self.madc_config.synapse_dac_bias[:] = state.targets.per_neuron("synapse_dac_bias").astype(np.int32)
        exc, inh = drive_both_signs(self.madc_config, 1, MADC_WEIGHT)
        self.madc_stimulus = Stimulus.single(np.full(2, MADC_T0_US), np.concatenate([exc, inh]))
        config = quiet(state.config)
        n = config.neurons
        n.leak_enable_multiplication[:] = True
        n.leak_enable_division[:] = False
        n.leak_i_bias[:] = CAPMEM_MAX_DAC
        n.leak_v_leak[:] = state.line.dac_for(REST_LSB)
        n.excitatory_input_i_bias_gm[:] = MEASUREMENT_GM_DAC
        n.inhibitory_input_i_bias_gm[:] = MEASUREMENT_GM_DAC
        config.synapse_dac_bias[:] = state.targets.per_neuron("synapse_dac_bias").astype(np.int32)
        exc, inh = drive_both_signs(config, ROWS, WEIGHT)
        self.kick = Kick([burst(exc, 0.0, REPEATS), burst(inh, 0.0, REPEATS)])
        return config

    def target(self, state: CalibrationState) -> np.ndarray:
        return targets_of(state)

    def configure_parameters(self, config: ChipConfiguration, parameters: np.ndarray) -> None:
        config.neurons.excitatory_input_i_bias_tau[:] = parameters[0]
        config.neurons.inhibitory_input_i_bias_tau[:] = parameters[1]

    def parameters_of(self, config: ChipConfiguration) -> np.ndarray:
        return np.stack([config.neurons.excitatory_input_i_bias_tau, config.neurons.inhibitory_input_i_bias_tau])

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        wanted = np.ones(self.short.shape, bool) if self.measured is None else self.measured
        out = np.full(self.short.shape, np.nan)
        long = wanted & ~self.short
        if long.any():
            cadc_targets = np.where(self.short, np.inf, self.targets_us)
            start = tail_start_us(cadc_targets, FAST_DECAY_US, 2.5, TAIL_FRACTION)
            stop = start + 4.0 * np.max(np.where(self.short, 0.0, self.targets_us), axis=0)
            out[long] = decay_time_constant(probe, config, self.kick, start, stop)[long]
        short = wanted & self.short
        if short.any():
            cfg = self.madc_config.copy()
            self.configure_parameters(cfg, self.parameters_of(config))
            for i, source in enumerate(MADC_SOURCES):
                neurons = np.flatnonzero(short[i])
                if neurons.size:
                    stop = MADC_WINDOW_TAU * self.targets_us[i]
                    analyse = madc.decay_after(MADC_T0_US, np.full(stop.shape, MADC_START_US), stop, (0.03, 30.0))
                    out[i, neurons] = madc.per_neuron(probe, cfg, neurons, source, self.madc_stimulus,
                                                      MADC_T0_US + float(stop[neurons].max()) + 0.1, analyse)
        return out


def targets_of(state: CalibrationState) -> np.ndarray:
    """Targets as (2, 512) array, hardware us."""
    return np.stack([state.targets.per_neuron(f"tau_syn_{s}_us") for s in SIGNS])


def calibrate(probe: Probe, state: CalibrationState) -> None:
    """Search both ``i_bias_tau`` arrays (CADC targets by bisection, MADC targets by
    power-law secant steps); store DACs, achieved tau_syn and success."""
    calibration = SynapticTimeConstantCalibration()
    target = calibration.target(state)
    found = search_split(calibration, probe, state, target, target < MADC_BELOW_US)
    ok = found.success & calibration.within_tolerance(found.results, target)
    for i, (sign, name) in enumerate(zip(SIGNS, ("excitatory", "inhibitory"))):
        state.store(f"tau_syn_{sign}", f"{name}_input_i_bias_tau", found.values[i], found.results[i], ok[i])

