"""Calibration targets: defaults, shapes, ranges, JSON round trip."""
from __future__ import annotations

import json

import numpy as np
import pytest

from calibration import CalibrationTargets, TargetError


def test_defaults_are_calix_cuba_defaults():
    t = CalibrationTargets().validate()
    assert (t.v_rest, t.v_reset, t.v_thresh) == (80, 70, 125)
    assert (t.tau_m_us, t.tau_syn_exc_us, t.tau_syn_inh_us, t.tau_refrac_us) == (10, 10, 10, 2)
    assert (t.i_synin_gm_exc, t.i_synin_gm_inh, t.synapse_dac_bias) == (500, 500, 600)


@pytest.mark.parametrize("name, value, allowed", [
    ("v_rest", 170.0, "50..160 CADC LSB"),
    ("v_reset", 20.0, "50..160 CADC LSB"),
    ("v_thresh", 230.0, "50..220 CADC LSB"),
    ("tau_m_us", 100.0, "0.5..60 us"),
    ("tau_syn_exc_us", 0.1, "0.3..30 us"),
    ("tau_syn_inh_us", 31.0, "0.3..30 us"),
    ("tau_refrac_us", 40.0, "0.04..31.875 us"),
    ("i_synin_gm_exc", 900.0, "30..800 CapMem DAC"),
    ("synapse_dac_bias", 2000.0, "0..1022 CapMem DAC"),
])
def test_out_of_range_names_the_range(name, value, allowed):
    with pytest.raises(TargetError) as err:
        CalibrationTargets(**{name: value}).validate()
    assert name in str(err.value) and allowed in str(err.value)


def test_per_neuron_arrays_and_bad_shapes():
    v_rest = np.linspace(60, 100, 512)
    t = CalibrationTargets(v_rest=v_rest).validate()
    np.testing.assert_array_equal(t.per_neuron("v_rest"), v_rest)
    assert t.per_neuron("tau_m_us").shape == (512,) and t.per_neuron("synapse_dac_bias").shape == (4,)
    with pytest.raises(TargetError, match=r"shape \(512,\)"):
        CalibrationTargets(v_rest=np.full(100, 80.0)).validate()
    bad = v_rest.copy()
    bad[7] = 10
    with pytest.raises(TargetError, match="index 7"):
        CalibrationTargets(v_rest=bad).validate()
    with pytest.raises(TargetError, match=r"shape \(4,\)"):
        CalibrationTargets(synapse_dac_bias=np.full(512, 600.0)).validate()


def test_json_round_trip_and_unknown_names(tmp_path):
    t = CalibrationTargets(tau_m_us=20.0, v_rest=np.linspace(60, 100, 512))
    path = tmp_path / "t.json"
    path.write_text(json.dumps(t.to_dict()))
    back = CalibrationTargets.from_json_file(path)
    assert back == t and back.key() == t.key()
    assert CalibrationTargets().key() != t.key()
    path.write_text(json.dumps({"tau_mem": 10}))
    with pytest.raises(TargetError, match="unknown calibration target.*tau_mem.*known are"):
        CalibrationTargets.from_json_file(path)
    path.write_text("{not json")
    with pytest.raises(TargetError, match="cannot read"):
        CalibrationTargets.from_json_file(path)


def test_coba_targets_optional_in_pairs_and_ranged():
    assert not CalibrationTargets().coba and CalibrationTargets.optional_names() == [
        "e_rev_exc", "e_rev_inh", "tau_w_us", "adaptation_a", "adaptation_b", "v_exp_onset"]
    t = CalibrationTargets(e_rev_exc=300.0, e_rev_inh=30.0).validate()
    assert t.coba and t.per_neuron("e_rev_exc").shape == (512,)
    with pytest.raises(TargetError, match="both COBA reversal potentials"):
        CalibrationTargets(e_rev_exc=300.0).validate()
    with pytest.raises(TargetError, match="e_rev_exc = 450.*0..400 CADC LSB"):
        CalibrationTargets(e_rev_exc=450.0, e_rev_inh=30.0).validate()
    with pytest.raises(TargetError, match="e_rev_inh = -5.*0..400 CADC LSB"):
        CalibrationTargets(e_rev_exc=300.0, e_rev_inh=-5.0).validate()


def test_coba_targets_json_round_trip(tmp_path):
    path = tmp_path / "t.json"
    for t in (CalibrationTargets(), CalibrationTargets(e_rev_exc=300.0, e_rev_inh=np.linspace(20, 60, 512))):
        path.write_text(json.dumps(t.to_dict()))
        back = CalibrationTargets.from_json_file(path)
        assert back == t and back.key() == t.key() and back.coba == t.coba
    assert CalibrationTargets().key() != CalibrationTargets(e_rev_exc=300.0, e_rev_inh=30.0).key()


def test_adaptation_targets_all_or_none_and_ranged():
    t = CalibrationTargets(tau_w_us=144.0, adaptation_a=0.014, adaptation_b=0.86, v_exp_onset=119.0).validate()
    assert t.adaptation and not CalibrationTargets().adaptation
    with pytest.raises(TargetError, match="all adaptation targets tau_w_us, adaptation_a and adaptation_b"):
        CalibrationTargets(tau_w_us=144.0).validate()
    with pytest.raises(TargetError, match="tau_w_us = 5.*10..300 us"):
        CalibrationTargets(tau_w_us=5.0, adaptation_a=0.0, adaptation_b=0.0).validate()
    with pytest.raises(TargetError, match="v_exp_onset = 240.*50..220 CADC LSB"):
        CalibrationTargets(v_exp_onset=240.0).validate()
