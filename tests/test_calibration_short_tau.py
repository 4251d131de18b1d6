"""Time constants below the CADC's reach: tau_m 0.5..1 us and tau_syn 0.3..2 us on MADC traces.

Fast tests: the power-law search on synthetic laws; the MADC measurements on the ideal
chip against the design time constants (``tau_m = 3000 us / (8 * leak_i_bias)`` with leak
multiplication, ``tau_syn = 300 us / i_bias_tau``, ``emulator.transfer``); the pairing of
neurons into MADC selections. Slow test: a full calibration of a random chip to tau_m
0.7 us and tau_syn 0.5 us, with calix' hardware-test limits on the spread ratios
(0.45 tau_m, 0.20 tau_syn) and an independent scipy fit of MADC traces after ``apply()``.
"""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
from scipy.optimize import curve_fit

from calibration import CalibrationTargets, calibrate
from calibration.algorithms import PowerLawSearch
from calibration.base import CalibrationState
from calibration.madc import neuron_pairs
from calibration.measure import Probe, measure_potential_line
from calibration.membrane_time_constant import MembraneTimeConstantCalibration
from calibration.synaptic_time_constant import SynapticTimeConstantCalibration
from calibration.threshold import ThresholdCalibration
from emulator.chip import Emulator
from emulator.interface import ChipConfiguration, EventRouting, MADCSource, RowMode, Stimulus


def test_power_law_search_finds_power_laws_in_four_measurements():
    rng = np.random.default_rng(4)
    k = rng.uniform(100, 600, 300)
    p = rng.uniform(0.8, 1.2, 300)
    target = rng.uniform(0.3, 2.0, 300)
    calls = []

    def measure(dac):
        calls.append(1)
        return k / dac.astype(float) ** p

    found = PowerLawSearch().search(measure, target, inverted=True)
    assert len(calls) == found.n_measurements == 4
    exact = (k / target) ** (1 / p)
    reachable = (exact >= 1) & (exact <= 1022)
    assert np.abs(found.values - exact)[reachable].max() <= 1.0
    assert found.success[reachable].all() and not found.success[~reachable].any()


def test_neuron_pairs_are_one_even_and_one_odd():
    pairs = neuron_pairs(np.array([0, 2, 4, 5, 9]))
    assert pairs == [(0, 5), (2, 9), (4,)]
    assert all(sum(n % 2 == 0 for n in pair) <= 1 and sum(n % 2 for n in pair) <= 1 for pair in pairs)


@pytest.fixture(scope="module")
def ideal_state():
    chip = Emulator(ideal=True)
    state = CalibrationState(ChipConfiguration(), CalibrationTargets(tau_m_us=0.7, tau_syn_exc_us=0.5,
                                                                     tau_syn_inh_us=0.5))
    probe = Probe(chip)
    state.line = measure_potential_line(probe, state.config)
    ThresholdCalibration().calibrate(probe, state)
    state.config.neurons.leak_enable_multiplication[:] = True
    return probe, state


@pytest.mark.parametrize("dac", [540, 1000])
def test_madc_membrane_time_constant_matches_design(ideal_state, dac):
    probe, state = ideal_state
    calibration = MembraneTimeConstantCalibration()
    config = calibration.measurement_config(state)
    calibration.measured = np.isin(np.arange(512), [0, 1, 300, 301])
    tau = calibration.measure_with(probe, config, np.full(512, dac))[calibration.measured]
    assert tau == pytest.approx(np.full(4, 3000.0 / 8 / dac), rel=0.01)


@pytest.mark.parametrize("dac", [150, 1000])
def test_madc_synaptic_time_constant_matches_design(ideal_state, dac):
    probe, state = ideal_state
    calibration = SynapticTimeConstantCalibration()
    config = calibration.measurement_config(state)
    calibration.measured = np.zeros((2, 512), bool)
    calibration.measured[:, [6, 7]] = True
    tau = calibration.measure_with(probe, config, np.full((2, 512), dac))[calibration.measured]
    assert tau == pytest.approx(np.full(4, 300.0 / dac), rel=0.015)


# --- a whole calibration ------------------------------------------------------------------

TAU_M_US, TAU_SYN_US = 0.7, 0.5


@pytest.fixture(scope="module")
def short_result():
    chip_id = int(os.environ.get("BSS2_TEST_CHIP_ID", random.SystemRandom().randrange(100, 1_000_000)))
    print(f"\nshort time constants on chip id {chip_id} (BSS2_TEST_CHIP_ID={chip_id} repeats this run)")
    chip = Emulator(chip_id)
    targets = CalibrationTargets(tau_m_us=TAU_M_US, tau_syn_exc_us=TAU_SYN_US, tau_syn_inh_us=TAU_SYN_US)
    return chip, calibrate(chip, targets, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("quantity, target, limit, ok", [
    ("tau_m", TAU_M_US, 0.45, 0.97), ("tau_syn_exc", TAU_SYN_US, 0.20, 0.95), ("tau_syn_inh", TAU_SYN_US, 0.20, 0.95),
])
def test_short_time_constants_calibrated(short_result, quantity, target, limit, ok):
    """calix' hardware-test limits on calibrated / uncalibrated spread; most neurons within
    8 % (the rest cannot reach the target: their bias would exceed 1022, reported)."""
    _, result = short_result
    achieved = result.achieved[quantity]
    assert result.std_after[quantity] / result.std_before[quantity] < limit
    assert np.median(achieved) == pytest.approx(target, rel=0.01)
    assert result.success[quantity].mean() >= ok
    within = np.abs(achieved - target) <= 0.08 * target
    assert within[result.success[quantity]].all()     # no neuron reported good that is not
    # (a neuron whose search ended on DAC 1022 is reported failed even when it landed within 8 %)


@pytest.mark.slow
def test_short_synaptic_time_constant_independent_madc_fit(short_result):
    """After ``apply()``: one event per neuron on 6 random successful neurons, MADC trace
    of the excitatory input, scipy fit of the decay."""
    chip, result = short_result
    rng = np.random.default_rng(0)
    good = np.flatnonzero(result.success["tau_syn_exc"])
    taus = []
    for pair in neuron_pairs(rng.choice(good, 6, replace=False))[:3]:
        config = result.apply()
        config.neurons.threshold_enable[:] = False
        for h in range(2):
            config.synapses.weights[h, 0, :] = 40
            config.synapses.row_modes[h, 0] = RowMode.EXCITATORY
        config.routing = EventRouting.from_entries([(2000, 0, 0, 0), (2000, 1, 0, 0)])
        config.readout.madc_neurons = pair
        config.readout.madc_source = MADCSource.EXCITATORY_SYNIN
        run = chip.run(config, Stimulus.single([1.0], 2000), 4.0, seed=3)
        t = run.madc.time_us
        for i in range(len(pair)):
            y = run.madc.samples[0, i].astype(float)
            sel = (t > 1.12) & (t < 3.0)
            popt, _ = curve_fit(lambda x, a, tau, c: c + a * np.exp(-(x - 1.12) / tau), t[sel], y[sel],
                                p0=(y[sel][0] - 512, 0.5, 512))
            taus.append(popt[1])
    assert np.array(taus) == pytest.approx(np.full(len(taus), TAU_SYN_US), rel=0.08)
