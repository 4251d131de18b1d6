"""Calibration of an emulated chip picked at random, checked quantity by quantity.

The chip id is drawn per test session (printed; set ``BSS2_TEST_CHIP_ID`` to repeat a
run). The calibration runs once per session. Besides the values the calibration itself
measured, independent checks use other stimuli and readouts: the MADC (membrane step
response to a constant current, synaptic current decay), spike/no-spike around the
threshold, inter-spike intervals for the refractory time, and CADC reads after
:meth:`CalibrationResult.apply` on a fresh configuration.
"""
from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
from scipy.optimize import curve_fit

from calibration import CalibrationResult, CalibrationTargets, calibrate, load_or_calibrate
from calibration.cache import cache_path
from emulator.chip import Emulator
from emulator.interface import (CADC_MIN_SAMPLE_PERIOD_US, ChipConfiguration, EventRouting, MADCSource,
                                RowMode, Stimulus)

LIMITS = {"leak": 0.15, "reset": 0.10, "threshold": 0.15, "tau_m": 0.20, "tau_syn_exc": 0.10, "tau_syn_inh": 0.10}
"""Calibrated / uncalibrated spread must stay below these (issue 4: half of calix' limits)."""


@pytest.fixture(scope="session")
def chip_id() -> int:
    cid = int(os.environ.get("BSS2_TEST_CHIP_ID", random.SystemRandom().randrange(100, 1_000_000)))
    print(f"\ncalibration tests use chip id {cid} (BSS2_TEST_CHIP_ID={cid} repeats this run)")
    return cid


@pytest.fixture(scope="session")
def chip(chip_id) -> Emulator:
    return Emulator(chip_id)


@pytest.fixture(scope="session")
def result(chip) -> CalibrationResult:
    return calibrate(chip, progress=False)


def quiet(config: ChipConfiguration) -> ChipConfiguration:
    """Calibrated neurons, no spikes, no input, CADC on."""
    for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable"):
        getattr(config.neurons, name)[:] = False
    config.readout.cadc_period_us = CADC_MIN_SAMPLE_PERIOD_US
    return config


def rest(chip, config, seed=1) -> np.ndarray:
    out = chip.run(config, Stimulus.empty(2), 10.0, seed=seed)
    return out.cadc.samples.astype(float).mean(axis=(0, 1))


def fraction_within(values, target, tolerance) -> float:
    return float(np.mean(np.abs(np.asarray(values) - target) <= tolerance))


# --- values the calibration measured, quantity by quantity --------------------------------

@pytest.mark.parametrize("quantity, target, tolerance", [
    ("leak", 80.0, 1.5), ("reset", 70.0, 1.5), ("threshold", 125.0, 2.5),
])
def test_potentials_within_tolerance(result, chip_id, quantity, target, tolerance):
    achieved = result.achieved[quantity]
    assert abs(np.median(achieved) - target) < 0.5, f"chip {chip_id}"
    assert fraction_within(achieved, target, tolerance) >= 0.99, f"chip {chip_id}: {quantity} +-{tolerance} LSB"


@pytest.mark.parametrize("quantity, rel_tolerance", [("tau_m", 0.05), ("tau_syn_exc", 0.06), ("tau_syn_inh", 0.06)])
def test_time_constants_within_tolerance(result, chip_id, quantity, rel_tolerance):
    achieved = result.achieved[quantity]
    assert abs(np.median(achieved) / 10.0 - 1) < 0.01, f"chip {chip_id}"
    assert fraction_within(achieved, 10.0, rel_tolerance * 10.0) >= 0.99, f"chip {chip_id}: {quantity}"


@pytest.mark.parametrize("sign", ["exc", "inh"])
def test_synaptic_strength_equalised(result, chip_id, sign):
    strength = result.achieved[f"syn_strength_{sign}"]
    median = np.median(strength)
    assert 0.03 < median < 0.12, "CADC LSB per us per weight LSB, ~0.38 nA / 2.2 pF at the default biases"
    assert fraction_within(strength, median, 0.05 * median) >= 0.99, f"chip {chip_id}"
    assert np.std(strength) / np.std(result.before[f"syn_strength_{sign}"]) < 0.15


def test_refractory_settings(result):
    np.testing.assert_allclose(result.achieved["tau_refrac"], 2.0, atol=0.02)
    assert (result.dac["refractory_period_input_clock"] == 0).all(), "2 us fits the fast clock"


def test_spread_ratios_meet_the_issue_limits(result, chip_id):
    for quantity, limit in LIMITS.items():
        ratio = result.std_after[quantity] / result.std_before[quantity]
        print(f"chip {chip_id} {quantity}: std {result.std_before[quantity]:.3g} -> "
              f"{result.std_after[quantity]:.3g} (ratio {ratio:.3f}, limit {limit})")
        assert ratio <= limit, f"chip {chip_id}: {quantity} ratio {ratio:.3f} > {limit}"
    assert result.std_before["leak"] > 5, "the emulated chip has fixed-pattern noise to remove"


def test_success_and_failures_reported(result, chip_id):
    success = np.logical_and.reduce(list(result.success.values()))
    assert success.mean() >= 0.99, f"chip {chip_id}: {result.failures()}"
    np.testing.assert_array_equal(result.failed_neurons, np.flatnonzero(~success))
    assert set(result.success) >= {"cadc_offset", "leak", "reset", "threshold", "tau_m", "tau_syn_exc",
                                   "tau_syn_inh", "syn_strength_exc", "syn_strength_inh", "tau_refrac"}


# --- independent checks -------------------------------------------------------------------

def test_leak_after_apply_on_fresh_config(chip, result, chip_id):
    reads = rest(chip, quiet(result.apply(ChipConfiguration())), seed=99)
    assert fraction_within(reads, 80.0, 1.5) >= 0.99, f"chip {chip_id}"
    uncalibrated = rest(chip, quiet(ChipConfiguration()), seed=99)
    assert np.std(uncalibrated) > 10 * np.std(reads)


def leak_dac_for(chip, config, levels: np.ndarray) -> np.ndarray:
    """Per-neuron leak DAC resting at ``levels`` (CADC LSB), from a two-point line."""
    reads = []
    for dac in (250, 400):
        config.neurons.leak_v_leak[:] = dac
        reads.append(rest(chip, config))
    slope = (reads[1] - reads[0]) / 150
    return np.clip(np.rint(250 + (levels - reads[0]) / slope), 0, 1022).astype(np.int32)


def test_threshold_spike_no_spike(chip, result, chip_id):
    config = quiet(result.apply(ChipConfiguration()))
    below = leak_dac_for(chip, config, np.full(512, 125.0 - 4))
    above = leak_dac_for(chip, config, np.full(512, 125.0 + 4))
    config.neurons.threshold_enable[:] = True
    counts = {}
    for name, dac in (("below", below), ("above", above)):
        config.neurons.leak_v_leak[:] = dac
        counts[name] = chip.run(config, Stimulus.empty(1), 50.0, seed=3).spikes.counts()[0]
    assert np.mean(counts["below"] <= 1) >= 0.99, f"chip {chip_id}: resting 4 LSB below threshold must not fire"
    assert np.mean(counts["above"] >= 2) >= 0.99, f"chip {chip_id}: resting 4 LSB above threshold must fire"


def spot_neurons(chip_id: int) -> tuple[int, int]:
    rng = np.random.default_rng(chip_id)
    return 2 * int(rng.integers(0, 256)), 2 * int(rng.integers(0, 256)) + 1


def test_tau_m_madc_step_response(chip, result, chip_id):
    """A constant current switched on at t = 0 charges the membrane with tau_m (MADC, scipy fit)."""
    config = quiet(result.apply(ChipConfiguration()))
    neurons = spot_neurons(chip_id)
    config.neurons.constant_current_enable[list(neurons)] = True
    config.neurons.constant_current_i_offset[list(neurons)] = 400             # ~ +40 nA: ~ +100 MADC LSB
    config.readout.madc_neurons = neurons
    out = chip.run(config, Stimulus.empty(8), 60.0, seed=5)
    t = out.madc.time_us
    for i, neuron in enumerate(neurons):
        y = out.madc.samples[:, i].astype(float).mean(axis=0)       # 8 trials against membrane noise
        (v0, dv, tau), _ = curve_fit(lambda t, v0, dv, tau: v0 + dv * (1 - np.exp(-t / tau)), t, y,
                                     p0=(y[0], y[-1] - y[0], 10.0))
        assert abs(tau / result.achieved["tau_m"][neuron] - 1) < 0.06, f"chip {chip_id} neuron {neuron}"
        assert abs(tau / 10.0 - 1) < 0.08, f"chip {chip_id} neuron {neuron}: tau_m {tau:.2f} us"


@pytest.mark.parametrize("sign, source, mode", [
    ("exc", MADCSource.EXCITATORY_SYNIN, RowMode.EXCITATORY),
    ("inh", MADCSource.INHIBITORY_SYNIN, RowMode.INHIBITORY),
])
def test_tau_syn_madc_synaptic_current(chip, result, chip_id, sign, source, mode):
    config = quiet(result.apply(ChipConfiguration()))
    neurons = spot_neurons(chip_id)
    config.neurons.excitatory_input_enable[:] = config.neurons.inhibitory_input_enable[:] = True
    config.synapses.weights[:, 0, :] = 63
    config.synapses.row_modes[:, 0] = mode
    config.routing = EventRouting.from_entries([(2000, 0, 0, 0), (2000, 1, 0, 0)])
    config.readout.madc_neurons = neurons
    config.readout.madc_source = source
    out = chip.run(config, Stimulus.from_trials([([5.0], 2000)] * 4), 45.0, seed=6)
    t = out.madc.time_us
    after = t > 5.3
    for i, neuron in enumerate(neurons):
        y = out.madc.samples[:, i].astype(float).mean(axis=0)
        base = y[t < 4.5].mean()
        (a, tau), _ = curve_fit(lambda t, a, tau: base + a * np.exp(-(t - 5.3) / tau), t[after], y[after],
                                p0=(y[after][0] - base, 10.0))
        assert abs(tau / 10.0 - 1) < 0.08, f"chip {chip_id} neuron {neuron}: tau_syn_{sign} {tau:.2f} us"


def isi_us(chip, config) -> np.ndarray:
    spikes = chip.run(config, Stimulus.empty(1), 80.0, seed=8).spikes
    first, last = np.full(512, np.inf), np.full(512, -np.inf)
    np.minimum.at(first, spikes.neuron, spikes.time_us)
    np.maximum.at(last, spikes.neuron, spikes.time_us)
    counts = spikes.counts()[0]
    return np.where(counts > 2, (last - first) / np.maximum(counts - 1, 1), np.nan)


def test_refractory_time_by_interspike_intervals(chip, result, chip_id):
    """Regular firing: the interval grows by exactly the refractory difference (4 us - 2 us)."""
    from calibration.refractory import settings
    config = quiet(result.apply(ChipConfiguration()))
    config.neurons.threshold_enable[:] = True
    config.neurons.leak_v_leak[:] = np.clip(result.dac["leak_v_leak"] + 300, 0, 1022)
    short = isi_us(chip, config)
    clock, counts = settings(np.full(512, 4.0))
    config.neurons.refractory_period_input_clock[:] = clock
    config.neurons.refractory_period_refractory_time[:] = counts
    difference = isi_us(chip, config) - short
    assert np.nanmedian(np.abs(difference - 2.0)) < 0.05, f"chip {chip_id}"
    assert np.mean(np.abs(difference - 2.0) < 0.2) >= 0.99, f"chip {chip_id}"


def test_offset_current_gain(chip, result, chip_id):
    """Asking each neuron's constant-current source for dV/dt = 4 CADC LSB/us shifts its
    resting potential by 4 LSB/us * tau_m."""
    gain = result.achieved["i_offset_per_dac"]
    assert 0.008 < np.median(gain) < 0.03, "CADC LSB per us per DAC: ~0.1 nA / 2.2 pF by design"
    config = quiet(result.apply(ChipConfiguration()))
    config.neurons.constant_current_enable[:] = True
    config.neurons.constant_current_i_offset[:] = np.clip(np.rint(4.0 / gain), 0, 1022).astype(np.int32)
    samples = chip.run(config, Stimulus.empty(8), 60.0, seed=9).cadc.samples.mean(axis=0)
    shift = samples[-20:].mean(axis=0) - result.achieved["leak"]
    ratio = shift / (4.0 * result.achieved["tau_m"])
    assert abs(np.median(ratio) - 1) < 0.02 and np.mean(np.abs(ratio - 1) < 0.1) >= 0.99, f"chip {chip_id}"


# --- caching, other targets, CLI -----------------------------------------------------------

def test_load_or_calibrate_uses_the_cache(chip, result, tmp_path, monkeypatch):
    result.save(cache_path(chip.identity, result.targets, tmp_path))

    def no_calibration(*args, **kwargs):
        raise AssertionError("load_or_calibrate calibrated although a cached result exists")
    monkeypatch.setattr("calibration.cache.calibrate", no_calibration)
    cached = load_or_calibrate(chip, CalibrationTargets(), cache_dir=tmp_path)
    assert cached.calibration_id == result.calibration_id
    other = Emulator(chip.chip_id + 1)
    with pytest.raises(AssertionError, match="calibrated although"):
        load_or_calibrate(other, CalibrationTargets(), cache_dir=tmp_path)


def test_other_targets_per_neuron_and_leak_switches(chip_id):
    """Per-neuron leak targets, a short tau_m (leak multiplication) and other potentials."""
    chip = Emulator(chip_id + 7)
    v_rest = np.where(np.arange(512) % 2 == 0, 70.0, 100.0)
    targets = CalibrationTargets(v_rest=v_rest, v_reset=60.0, v_thresh=150.0, tau_m_us=3.0,
                                 tau_syn_exc_us=5.0, tau_syn_inh_us=15.0, tau_refrac_us=20.0)
    r = calibrate(chip, targets, progress=False)
    assert r.dac["leak_enable_multiplication"].all() and not r.dac["leak_enable_division"].any()
    assert (r.dac["refractory_period_input_clock"] == 1).all(), "20 us needs the slow clock"
    assert fraction_within(r.achieved["leak"], v_rest, 1.5) >= 0.99
    assert fraction_within(r.achieved["reset"], 60.0, 1.5) >= 0.99
    assert fraction_within(r.achieved["threshold"], 150.0, 2.5) >= 0.99
    assert fraction_within(r.achieved["tau_m"], 3.0, 0.08 * 3.0) >= 0.98
    assert fraction_within(r.achieved["tau_syn_exc"], 5.0, 0.08 * 5.0) >= 0.98
    assert fraction_within(r.achieved["tau_syn_inh"], 15.0, 0.08 * 15.0) >= 0.98
    assert 1 - r.failed_neurons.size / 512 >= 0.97, r.failures()


def test_coba_targets(chip_id):
    """Reversal potentials beyond the CADC range (300) and below rest (30), extrapolated;
    >= 95 % of neurons within 3 LSB + 3 % of the driving force, the median within 1 LSB,
    the conductance per weight LSB alike across neurons (spread <= 8 %), COBA switched on
    by apply(), the CUBA quantities unaffected."""
    targets = CalibrationTargets(tau_syn_exc_us=5.0, tau_syn_inh_us=5.0, e_rev_exc=300.0, e_rev_inh=30.0)
    r = calibrate(Emulator(chip_id + 11), targets, progress=False)
    for sign, target in (("exc", 300.0), ("inh", 30.0)):
        achieved = r.achieved[f"e_rev_{sign}"]
        assert fraction_within(achieved, target, 3.0 + 0.03 * abs(target - 80.0)) >= 0.95, sign
        assert abs(np.median(achieved) - target) <= 1.0, sign
        strength = r.achieved[f"coba_strength_{sign}"]
        assert np.std(strength) / np.median(strength) <= 0.08, sign  # ~0.04 measured (CUBA strength: 0.01)
    config = r.apply()
    assert config.neurons.excitatory_input_enable_coba_mode.all() and config.neurons.inhibitory_input_enable_coba_mode.all()
    assert fraction_within(r.achieved["leak"], 80.0, 1.5) >= 0.99
    assert fraction_within(r.achieved["tau_syn_exc"], 5.0, 0.08 * 5.0) >= 0.98
    assert 1 - r.failed_neurons.size / 512 >= 0.95, r.failures()


def test_cli_json_and_png(chip_id, tmp_path, monkeypatch, capsys):
    from bss2_experiments.cli import main
    monkeypatch.setenv("BSS2_CALIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "c.bss2cal"
    assert main(["calibrate", "--chip-id", str(chip_id + 3), "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    names = {"leak", "reset", "threshold", "tau_m", "tau_syn_exc", "tau_syn_inh"}
    assert set(summary["std_before"]) == names and set(summary["std_after"]) == names
    assert all(summary["std_after"][k] < LIMITS[k] * summary["std_before"][k] for k in names)
    assert isinstance(summary["failed_neurons"], list) and summary["seconds"] > 0
    assert out.exists() and out.with_suffix(".png").stat().st_size > 10_000
    assert CalibrationResult.load(out, chip_identity=f"emulator:{chip_id + 3}").calibration_id == summary["calibration_id"]
    assert list((tmp_path / "cache").glob("*.bss2cal")), "the CLI also fills the cache"


def test_cli_rejects_out_of_range_targets(tmp_path, capsys):
    from bss2_experiments.cli import main
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"tau_m_us": 500}))
    assert main(["calibrate", "--targets", str(path)]) == 2
    assert "tau_m_us in 0.5..60 us" in capsys.readouterr().err


@pytest.mark.slow
def test_calibration_is_reproducible(chip, result):
    again = calibrate(chip, progress=False)
    assert again.calibration_id == result.calibration_id
