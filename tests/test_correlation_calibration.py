"""Correlation-sensor calibration: the measured amplitude and time constant follow the
bias DACs monotonically, calibration hits its targets per quadrant (checked against the
emulator's own transfer model), results are cached per chip and target, PyNN's setup
options calibrate and configure the chip, and bad targets are refused."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import bss2_experiments.pynn as sim
from calibration.correlation import (CorrelationCalibrationResult, CorrelationTarget, calibrate_correlation,
                                     correlation_cache_path, design_biases, load_or_calibrate_correlation)
from calibration.correlation_measurement import CorrelationProtocol
from calibration.errors import CalibrationFileError, ChipMismatchError, TargetError
from calibration.measure import Probe
from emulator.chip import Emulator
from emulator.errors import ConfigurationError
from emulator.interface import ChipConfiguration, CorrelationSensorConfig

CHIP_ID = 3
TOLERANCE = 0.05
"""Calibrated amplitude and time constant per quadrant within 5 % of the target."""


class CountingChip:
    """An emulated chip that counts its runs."""

    def __init__(self, chip_id: int):
        self.chip = Emulator(chip_id=chip_id)
        self.chip_id, self.identity, self.runs = self.chip.chip_id, self.chip.identity, 0

    def run(self, config, stimulus, duration_us, seed=None):
        self.runs += 1
        return self.chip.run(config, stimulus, duration_us, seed=seed)


def quadrant_biases(ramp: int, store: int) -> CorrelationSensorConfig:
    return CorrelationSensorConfig(np.full(4, ramp, np.int32), np.full(4, store, np.int32))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corr_cache")


@pytest.fixture(scope="module")
def calibrated(cache_dir):
    """Chip CHIP_ID calibrated for (1.5 LSB, 10 us), cached in ``cache_dir``."""
    chip = CountingChip(CHIP_ID)
    return load_or_calibrate_correlation(chip, CorrelationTarget(1.5, 10.0), cache_dir=cache_dir), chip


def test_measured_amplitude_and_tau_are_monotonic_in_the_bias_dacs():
    protocol = CorrelationProtocol(Probe(Emulator(chip_id=CHIP_ID)), tau_target_us=5.0, amplitude_target_lsb=0.5)
    ramps = [80, 160, 320, 640]
    taus = np.array([protocol.measure(quadrant_biases(r, 200)).tau_us for r in ramps])
    stores = [100, 150, 225, 340]
    amps = np.array([protocol.measure(quadrant_biases(240, s)).amplitude_lsb for s in stores])
    print("tau_us per ramp DAC", np.round(taus, 2), "\namplitude per store DAC", np.round(amps, 3))
    assert np.all(np.diff(taus, axis=0) < 0), "a larger ramp bias must shorten the time constant in every quadrant"
    assert np.all(np.diff(amps, axis=0) < 0), "a larger store bias must shrink the amplitude in every quadrant"
    # roughly inverse power laws: doubling the ramp bias about halves tau
    assert np.all((taus[:-1] / taus[1:] > 1.6) & (taus[:-1] / taus[1:] < 2.5))
    # quadrants differ on an uncalibrated chip (per-quadrant fixed-pattern noise)
    assert np.ptp(taus[1]) / np.mean(taus[1]) > 0.05


@pytest.mark.parametrize("target", [CorrelationTarget(1.5, 10.0), CorrelationTarget(0.5, 5.0)])
def test_calibration_hits_the_target_in_every_quadrant(target, calibrated):
    result = calibrated[0] if target == calibrated[0].target else calibrate_correlation(Emulator(chip_id=CHIP_ID),
                                                                                        target)
    print(result.summary())
    assert result.success.all()
    assert np.all(np.abs(result.amplitude_lsb / target.amplitude_lsb - 1) < TOLERANCE)
    assert np.all(np.abs(result.tau_us / target.tau_us - 1) < TOLERANCE)
    dev = result.deviation()
    assert dev["tau_after_max_rel"] < dev["tau_before_max_rel"] / 3
    assert dev["amplitude_after_max_rel"] < dev["amplitude_before_max_rel"] / 3
    # independent check: the emulator's transfer model at the calibrated biases
    sensors = Emulator(chip_id=CHIP_ID).correlation_sensors(result.apply())
    true_tau = sensors.tau_us[:, ::128].ravel()
    true_amp = sensors.amplitude_lsb[:, ::128].ravel()
    assert np.all(np.abs(true_tau / target.tau_us - 1) < TOLERANCE)
    assert np.all(np.abs(true_amp / target.amplitude_lsb - 1) < TOLERANCE)


def test_calibration_is_cached_per_chip_and_target(calibrated, cache_dir):
    result, chip = calibrated
    again = CountingChip(CHIP_ID)
    cached = load_or_calibrate_correlation(again, CorrelationTarget(1.5, 10.0), cache_dir=cache_dir)
    assert again.runs == 0 and chip.runs == result.n_runs
    assert cached.calibration_id == result.calibration_id
    np.testing.assert_array_equal(cached.i_bias_ramp_dac, result.i_bias_ramp_dac)
    np.testing.assert_allclose(cached.tau_us, result.tau_us)
    path = correlation_cache_path(chip.identity, result.target, cache_dir)
    assert path != correlation_cache_path(chip.identity, CorrelationTarget(1.5, 12.0), cache_dir)
    assert path != correlation_cache_path("emulator:4", result.target, cache_dir)
    with pytest.raises(ChipMismatchError, match="emulator:4"):
        CorrelationCalibrationResult.load(path, chip_identity="emulator:4")
    broken = cache_dir / "broken.bss2corr.json"
    broken.write_text(path.read_text().replace('"i_bias_ramp_dac": [', '"i_bias_ramp_dac": [1, '))
    with pytest.raises(CalibrationFileError, match="corrupt"):
        CorrelationCalibrationResult.load(broken)


@pytest.mark.parametrize("amplitude, tau, words", [
    (3.0, 5.0, "0.2..2.0"), (0.1, 5.0, "0.2..2.0"), (0.5, 1.0, "2.0..30.0"), (0.5, 45.0, "2.0..30.0"),
    (float("nan"), 5.0, "amplitude_lsb"), ("1.5", 5.0, "must be a number")])
def test_bad_targets_are_refused_with_the_feasible_range(amplitude, tau, words):
    with pytest.raises(TargetError, match=words.replace(".", r"\.")):
        CorrelationTarget(amplitude, tau).validate()
    with pytest.raises(TargetError, match="correlation"):
        sim.setup(correlation_amplitude_lsb=amplitude, correlation_tau_us=tau)


def test_bad_bias_configurations_are_refused():
    config = ChipConfiguration()
    config.correlation = quadrant_biases(240, 1023)
    with pytest.raises(ConfigurationError, match="i_bias_store_dac must lie in 0..1022"):
        config.validate()
    config.correlation = CorrelationSensorConfig(np.full(2, 240, np.int32))
    with pytest.raises(ConfigurationError, match=r"one CapMem DAC value per quadrant, shape \(4,\)"):
        config.validate()
    config.correlation = CorrelationSensorConfig(v_res_meas_mv=2000.0)
    with pytest.raises(ConfigurationError, match="900 mV"):
        config.validate()


def _network_correlation(**setup_args):
    """Set up, run a tiny raw-neuron network and return the chip configuration's sensors
    and the compiled network's correlation calibration."""
    sim.setup(timestep=0.1, chip_id=CHIP_ID, **setup_args)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    pop = sim.Population(2, sim.HXNeuron())
    sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=20))
    sim.run(20.0)
    compiled, _ = sim.simulator.state.last_run
    sim.end()
    return compiled.config.correlation, compiled.correlation_calibration


def test_setup_calibrates_and_configures_the_correlation_sensors(calibrated, cache_dir):
    result, _ = calibrated
    sensors, used = _network_correlation(correlation_amplitude_lsb=1.5, correlation_tau_us=10.0, cache_dir=cache_dir)
    assert used is not None and used.calibration_id == result.calibration_id     # loaded from the cache
    np.testing.assert_array_equal(sensors.i_bias_ramp_dac, result.i_bias_ramp_dac)
    np.testing.assert_array_equal(sensors.i_bias_store_dac, result.i_bias_store_dac)
    default, none = _network_correlation(cache_dir=cache_dir)
    assert default is None and none is None                                       # the chip's default calibration
    design, none = _network_correlation(correlation_amplitude_lsb=1.5, correlation_tau_us=10.0,
                                        calibration=None, cache_dir=cache_dir)
    assert none is None
    assert design.i_bias_ramp_dac.tolist() == [design_biases(result.target)[0]] * 4
    assert design.i_bias_store_dac.tolist() == [design_biases(result.target)[1]] * 4


def test_one_keyword_keeps_the_default_of_the_other(cache_dir):
    sim.setup(correlation_tau_us=8.0, cache_dir=cache_dir)
    target = sim.simulator.state.chip_options["correlation_target"]
    sim.end()
    assert target == CorrelationTarget(0.5, 8.0)


def test_ideal_chip_calibrates_to_the_design_biases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = calibrate_correlation(Emulator(ideal=True), CorrelationTarget(0.5, 5.0))
    assert result.success.all()
    assert np.all(np.abs(result.i_bias_ramp_dac - 240) <= 6)
    assert np.all(np.abs(result.i_bias_store_dac - 200) <= 6)
