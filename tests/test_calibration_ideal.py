"""Calibrating the noise-free chip lands on the design values.

On ``Emulator(ideal=True)`` nothing dithers the 8-bit CADC, so biased estimators show up
as systematic errors. The emulator's design transfer functions (``emulator/transfer.py``,
``emulator/readout.py``; used here only to check, never by the calibration) give the
true value of every calibrated DAC: CADC code = 20 + (V - 82.2 mV) / 2.818 mV with
V = 1200 mV * dac / 1022; tau_m = 3000 us / leak_i_bias (x 1/8 or x 8 with the
switches); tau_syn = 300 us / i_bias_tau; synaptic current 0.38 nA * gm / 500 *
bias / 600 into 2.2 pF; COBA conductance = that current / 400 mV.
Targets: tau_m 10 us, tau_syn 5 us, threshold 125, leak = reset 80 LSB, reversal
potentials 300 / 30 LSB. Tolerances: potentials 0.25 LSB (a DAC step is 0.42 LSB);
time constants within one DAC step of the target's exact value (0.35 % for tau_m,
1.7 % for tau_syn at DAC 60); reported values within 1 % of the truth (strength 1.5 %);
reversal potentials within 1 LSB; the COBA conductance within 2 % of an MADC measurement.
"""
from __future__ import annotations

import numpy as np
import pytest

from calibration import CalibrationTargets, calibrate
from calibration.coba import integral_fit
from calibration.measure import drive_both_signs
from emulator.chip import Emulator
from emulator.interface import MADCSource, ReadoutConfig, Stimulus

TARGETS = dict(v_rest=80.0, v_reset=80.0, v_thresh=125.0, tau_m_us=10.0, tau_syn_exc_us=5.0, tau_syn_inh_us=5.0,
               e_rev_exc=300.0, e_rev_inh=30.0)
FIELDS = {"exc": "excitatory", "inh": "inhibitory"}


def design_cadc(dac) -> np.ndarray:
    return 20.0 + (1200.0 * np.asarray(dac, float) / 1022.0 - 82.2) / 2.818


@pytest.fixture(scope="module")
def result():
    return calibrate(Emulator(ideal=True), CalibrationTargets(**TARGETS), progress=False)


@pytest.mark.parametrize("field, target", [("threshold_v_threshold", "v_thresh"), ("leak_v_leak", "v_rest"),
                                           ("reset_v_reset", "v_reset")])
def test_potentials_at_design_value(result, field, target):
    assert np.abs(design_cadc(result.dac[field]) - TARGETS[target]).max() <= 0.25


def test_membrane_time_constant(result):
    assert not result.dac["leak_enable_multiplication"].any() and not result.dac["leak_enable_division"].any()
    true = 3000.0 / result.dac["leak_i_bias"]
    assert np.abs(true / 10.0 - 1).max() <= 0.0035
    assert np.abs(result.achieved["tau_m"] / true - 1).max() <= 0.01


@pytest.mark.parametrize("sign", ["exc", "inh"])
def test_synaptic_time_constant(result, sign):
    true = 300.0 / result.dac[f"{FIELDS[sign]}_input_i_bias_tau"]
    assert np.abs(true / 5.0 - 1).max() <= 0.017
    assert np.abs(result.achieved[f"tau_syn_{sign}"] / true - 1).max() <= 0.01


@pytest.mark.parametrize("sign", ["exc", "inh"])
def test_synaptic_strength_reported_truly(result, sign):
    gm = result.dac[f"{FIELDS[sign]}_input_i_bias_gm"]
    true = 0.38 * gm / 500 * result.synapse_dac_bias[0] / 600 / 2.2 / 2.818  # CADC LSB / us / weight LSB
    assert np.abs(result.achieved[f"syn_strength_{sign}"] / true - 1).max() <= 0.015


@pytest.mark.parametrize("sign", ["exc", "inh"])
def test_reversal_potential(result, sign):
    assert np.abs(design_cadc(result.dac[f"{FIELDS[sign]}_input_v_rev_coba"]) - TARGETS[f"e_rev_{sign}"]).max() <= 1.0
    assert np.abs(result.achieved[f"e_rev_{sign}"] - TARGETS[f"e_rev_{sign}"]).max() <= 1.0


def test_coba_conductance_matches_madc(result):
    """Single events through one row on a slow membrane, MADC-recorded (34 ns samples,
    design readout scale), fitted with the same integral equation: g / C per weight LSB."""
    config = result.apply()
    n = config.neurons
    n.threshold_enable[:] = False
    n.leak_enable_division[:] = True
    n.leak_i_bias[:] = 300
    n.leak_v_leak[:] = 346  # ~120 CADC LSB
    exc, inh = drive_both_signs(config, 1, 63)
    config.readout = ReadoutConfig(madc_neurons=(0, 1), madc_source=MADCSource.MEMBRANE)
    run = Emulator(ideal=True).run(config, Stimulus.from_trials([([10.0], exc), ([10.0], inh)]), 30.0, seed=0)
    t = run.madc.time_us - 10.0
    for trial, sign in enumerate(("exc", "inh")):
        v = 20.0 + (run.madc.samples[trial].T.astype(float) * 1200.0 / 1023.0 - 82.2) / 2.818  # (K, 2) CADC LSB
        rest = v[t < -0.1].mean(axis=0)
        tau = 300.0 / result.dac[f"{FIELDS[sign]}_input_i_bias_tau"][:2]
        use = np.broadcast_to(((t >= 0) & (t < 15.0))[:, None], v.shape)
        k = integral_fit(t, v, rest, tau, result.achieved[f"e_rev_{sign}"][:2], use) / 63
        assert result.achieved[f"coba_strength_{sign}"][:2] == pytest.approx(k, rel=0.02)
