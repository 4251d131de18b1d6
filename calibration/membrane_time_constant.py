"""Membrane time constant (``leak_i_bias`` and the leak multiplication/division switches).

calix (Electronic Visions, github electronicvisions/calix, ``hagen/neuron_leak_bias.py``)
bisects the leak bias (a larger bias gives a shorter time constant) on exponential fits
of the membrane's relaxation, and switches the leak conductance's multiplication (short
targets) or division (long targets) on where the plain range does not reach. Here the
synaptic input is made as fast as it goes (maximal ``i_bias_tau``) so a burst of
excitatory events kicks the membrane almost instantly; the CADC trace after a couple of
microseconds decays with tau_m alone.

Targets below :data:`MADC_BELOW_US` (calix allows 0.5 us) are too fast for the CADC and
for the synaptic kick (the fastest synaptic current, ~0.3 us, is no longer negligible).
Those neurons are measured as calix' ``MembraneTimeConstCalibReset`` does: the leak
potential is placed above the (calibrated) threshold, so the neuron fires regularly, and
the MADC records the membrane's exponential rise from the reset towards the leak
potential between spikes; the ~10 rises of a run are averaged and fitted with a free
asymptote (the leak potential is never reached). Two neurons per run (:mod:`calibration.madc`), searched with
:class:`~calibration.algorithms.PowerLawSearch`.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, REFRACTORY_CLOCK_MHZ, ChipConfiguration, MADCSource, RowMode, Stimulus

from . import madc
from .algorithms import NoisyBinarySearch
from .base import CalibrationState, FieldCalibration, search_split
from .fitting import fit_decay
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
MADC_BELOW_US = 1.0
"""Targets below this are measured on the MADC after a reset."""
MADC_LEAK_ABOVE_THRESHOLD_LSB = 15.0
"""Reset method: leak potential above the threshold (CADC LSB): a rise from the reset
(DAC 0) to the threshold takes ~2-3 tau_m."""
MADC_REFRACTORY_TICKS = 2
"""Fast-clock ticks (80 ns) of refractoriness: the reset conductance (~30 ns) pulls the
membrane down, then it is free."""
MADC_SKIP_US = 0.15
"""Samples this close to a spike's release or to the next spike are left out of the fit
(the reset and the threshold comparator settle; on the emulator, its 0.1 us integration
grid is interpolated there)."""
MADC_SPIKES = 10
"""Runs last until the slowest measured neuron has fired about this often (the rises
between consecutive spikes are averaged)."""


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
        self.short = self.target_us < MADC_BELOW_US
        self.madc_config = reset_method_config(state)
        return config

    def measure_results(self, probe: Probe, config: ChipConfiguration) -> np.ndarray:
        wanted = np.ones(self.short.shape, bool) if self.measured is None else self.measured
        out = np.full(self.short.shape, np.nan)
        long = wanted & ~self.short
        if long.any():
            targets = np.where(self.short, np.inf, self.target_us)
            start = tail_start_us(targets, FAST_DECAY_US, 2.5)
            out[long] = decay_time_constant(probe, config, self.kick, start,
                                            start + 4.0 * np.where(self.short, 0.0, self.target_us))[0][long]
        short = np.flatnonzero(wanted & self.short)
        if short.size:
            cfg = self.madc_config.copy()
            self.configure_parameters(cfg, self.parameters_of(config))
            duration = MADC_SPIKES * (3.0 * float(self.target_us[short].max()) + 0.1) + 0.5
            out[short] = madc.per_neuron(probe, cfg, short, MADCSource.MEMBRANE, Stimulus.empty(),
                                         duration, _rise_after_reset)
        return out

    def uncalibrated(self, config: ChipConfiguration, parameters: np.ndarray) -> np.ndarray:
        """The median leak bias among the neurons sharing a switch setting."""
        out = parameters.copy()
        mode = config.neurons.leak_enable_multiplication * 1 + config.neurons.leak_enable_division * 2
        for m in np.unique(mode):
            out[mode == m] = int(np.rint(np.median(parameters[mode == m])))
        return out

    def calibrate(self, probe: Probe, state: CalibrationState) -> None:
        """Choose the leak switches from the targets, then search the leak bias (CADC
        targets by bisection, MADC targets by power-law secant steps)."""
        target = state.targets.per_neuron("tau_m_us")
        multiply, divide = leak_switches(target)
        state.set_dac("leak_enable_multiplication", multiply)
        state.set_dac("leak_enable_division", divide)
        found = search_split(self, probe, state, target, target < MADC_BELOW_US)
        state.store(self.quantity, self.field, found.values, found.results,
                    found.success & self.within_tolerance(found.results, target))


def reset_method_config(state: CalibrationState) -> ChipConfiguration:
    """Regular firing for the reset method: calibrated threshold, leak above it, reset at
    DAC 0 with the strongest reset bias, 80 ns refractory time, no inputs."""
    config = quiet(state.config)
    n = config.neurons
    n.threshold_enable[:] = True
    n.leak_v_leak[:] = state.line.dac_for(state.targets.per_neuron("v_thresh") + MADC_LEAK_ABOVE_THRESHOLD_LSB)
    n.reset_v_reset[:] = 0
    n.reset_i_bias[:] = CAPMEM_MAX_DAC
    n.refractory_period_input_clock[:] = 0
    n.refractory_period_refractory_time[:] = MADC_REFRACTORY_TICKS
    n.refractory_period_reset_holdoff[:] = 0
    return config


def _rise_after_reset(time_us, samples, valid, result, pair) -> np.ndarray:
    """tau (us) of the rise from the reset towards the leak potential, per neuron of
    ``pair`` (NaN with fewer than two spikes): the rises between consecutive spikes are
    interpolated onto one time grid from their release, averaged (the membrane noise
    averages out), and fitted with a free asymptote."""
    taus = np.full(len(pair), np.nan)
    release = MADC_REFRACTORY_TICKS / REFRACTORY_CLOCK_MHZ[0] + MADC_SKIP_US
    step = float(np.median(np.diff(time_us)))
    for i, neuron in enumerate(pair):
        spikes = result.spikes.times_of(neuron)
        if spikes.size < 2:
            continue
        length = float(np.min(np.diff(spikes))) - release - MADC_SKIP_US
        if length <= 4 * step:
            continue
        grid = np.arange(0.0, length, step)
        ok = valid[:, i]
        rises = [np.interp(start + release + grid, time_us[ok], samples[ok, i]) for start in spikes[:-1]]
        fit = fit_decay(grid, np.mean(rises, axis=0)[:, None], tau_range_us=(0.03, 30.0))
        taus[i] = fit.tau[0]
    return taus
