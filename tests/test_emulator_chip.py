"""Fixed-pattern noise, readouts, batching and input validation of the emulated chip."""
from __future__ import annotations

import numpy as np
import pytest

from emulator.chip import Emulator
from emulator.errors import ConfigurationError, ResourceError, StimulusError
from emulator.fixed_pattern import FixedPattern
from emulator.interface import (INPUT_EVENTS_PER_TICK, INPUT_FIFO_DEPTH_TICKS, ChipConfiguration, Chip,
                                EventRouting, Stimulus)
from emulator.readout import CADC_MV_PER_LSB, CADC_V_AT_20_LSB_MV
from emulator.transfer import neuron_physics, nominal_potential_mv
from emulator_setups import INPUT_LABEL, single_neuron


def test_emulator_implements_the_chip_protocol():
    chip = Emulator(chip_id=5)
    assert isinstance(chip, Chip)
    assert chip.identity == "emulator:5" and Emulator(ideal=True).identity == "emulator:ideal"


def test_fixed_pattern_is_a_deterministic_function_of_the_chip_id():
    a, b, c = FixedPattern.for_chip(11), FixedPattern.for_chip(11), FixedPattern.for_chip(12)
    assert np.array_equal(a.potentials["leak_v_leak"].offset_mv, b.potentials["leak_v_leak"].offset_mv)
    assert np.array_equal(a.synapse_gain, b.synapse_gain)
    assert not np.allclose(a.potentials["leak_v_leak"].offset_mv, c.potentials["leak_v_leak"].offset_mv)
    assert not np.allclose(a.leak_gain, c.leak_gain)


@pytest.mark.parametrize("chip_id", [0, 1, 2])
def test_fixed_pattern_spreads_lie_in_the_documented_ranges(chip_id):
    cfg = ChipConfiguration()
    phys = neuron_physics(cfg.neurons, FixedPattern.for_chip(chip_id), cfg.synapse_dac_bias)
    for potential in (phys.v_leak_mv, phys.v_reset_mv, phys.v_thresh_mv):
        assert 15 <= np.std(potential) / CADC_MV_PER_LSB <= 25
    for tau in (phys.tau_m_us, phys.tau_syn_us[0], phys.tau_syn_us[1]):
        assert 0.20 <= np.std(tau) / np.mean(tau) <= 0.30
    fpn = FixedPattern.for_chip(chip_id)
    assert 0.02 <= np.std(fpn.synapse_gain) <= 0.04


def cadc_reference_reads(chip: Emulator, dac: int) -> np.ndarray:
    cfg = ChipConfiguration()
    cfg.readout.cadc_period_us = 1.0
    cfg.readout.cadc_reference_dac = dac
    return chip.run(cfg, Stimulus.empty(), 10.0, seed=3).cadc.samples[0].astype(float)


def test_cadc_channel_offsets_spread_about_20_lsb_and_the_digital_offset_shifts_reads():
    chip = Emulator(chip_id=4)
    reads = cadc_reference_reads(chip, 300).mean(axis=0)
    assert 15 <= reads.std() <= 25
    cfg = ChipConfiguration()
    cfg.readout.cadc_period_us = 1.0
    cfg.readout.cadc_reference_dac = 300
    cfg.readout.cadc_channel_offset[:] = -np.rint(reads - np.median(reads)).clip(-128, 127).astype(int)
    corrected = chip.run(cfg, Stimulus.empty(), 10.0, seed=3).cadc.samples[0].astype(float).mean(axis=0)
    assert corrected.std() < 1.5


def test_cadc_quantisation_and_clipping_in_ideal_mode():
    chip = Emulator(ideal=True)
    for dac in (70, 214, 322, 550):
        expected = np.rint(20 + (nominal_potential_mv(dac) - CADC_V_AT_20_LSB_MV) / CADC_MV_PER_LSB)
        assert np.all(cadc_reference_reads(chip, dac) == expected)
    assert np.all(cadc_reference_reads(chip, 0) == 0)
    assert np.all(cadc_reference_reads(chip, 1022) == 255)


def test_madc_quantises_to_10_bit_and_clips_at_full_scale():
    cfg = single_neuron(threshold=False, leak_dac=1022)
    cfg.readout.madc_neurons = (0,)
    r = Emulator(ideal=True).run(cfg, Stimulus.single(np.arange(5, 20, 0.5), INPUT_LABEL), 30.0, seed=0)
    assert r.madc.samples.dtype == np.uint16
    assert r.madc.samples.max() == 1023                          # 1200 mV + PSPs clip at full scale
    assert r.madc.time_us[1] == pytest.approx(1 / 29.41, rel=1e-3)


def poisson_trials(rng, n_trials: int) -> list:
    trials = []
    for _ in range(n_trials):
        t = np.sort(rng.uniform(0, 80, rng.poisson(40)))
        trials.append((t, INPUT_LABEL))
    return trials


@pytest.mark.parametrize("ideal", [True, False])
def test_a_trial_alone_equals_the_same_trial_inside_a_batch(ideal):
    cfg = single_neuron(weight=50)
    trials = poisson_trials(np.random.default_rng(0), 6)
    chip = Emulator(chip_id=3, ideal=ideal)
    batch = chip.run(cfg, Stimulus.from_trials(trials), 100.0, seed=9)
    assert batch.spikes.counts()[:, 0].sum() > 10
    for k in (0, 4):                     # same trial index, smaller batch: same noise stream
        smaller = chip.run(cfg, Stimulus.from_trials(trials[: k + 1]), 100.0, seed=9)
        assert np.array_equal(smaller.spikes.of_trial(k)[0], batch.spikes.of_trial(k)[0])
    if ideal:                            # without noise the position in the batch does not matter
        alone = chip.run(cfg, Stimulus.from_trials([trials[4]]), 100.0, seed=1)
        assert np.array_equal(alone.spikes.of_trial(0)[0], batch.spikes.of_trial(4)[0])


def test_parallel_and_serial_integration_of_a_batch_agree_exactly(monkeypatch):
    """Small batches integrate on the calling thread, large ones over the thread pool: the
    same noisy batch gives identical spikes and membranes either way."""
    import emulator.integrator as integrator
    cfg = single_neuron(weight=50)
    cfg.readout.cadc_period_us = 2.0
    stim = Stimulus.from_trials(poisson_trials(np.random.default_rng(2), 5))
    runs = {}
    for limit in (0, 10**12):
        monkeypatch.setattr(integrator, "PARALLEL_MIN_NEURON_STEPS", limit)
        runs[limit] = Emulator(chip_id=2).run(cfg, stim, 100.0, seed=4)
    parallel, serial = runs.values()
    assert parallel.spikes.counts()[:, 0].sum() > 10
    assert np.array_equal(parallel.spikes.time_us, serial.spikes.time_us)
    assert np.array_equal(parallel.spikes.trial, serial.spikes.trial)
    assert np.array_equal(parallel.cadc.samples, serial.cadc.samples)


def test_same_seed_repeats_a_noisy_run_and_another_seed_does_not():
    cfg = single_neuron(weight=50)
    stim = Stimulus.from_trials(poisson_trials(np.random.default_rng(1), 3))
    chip = Emulator(chip_id=3)
    a, b, c = (chip.run(cfg, stim, 100.0, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.spikes.time_us, b.spikes.time_us)
    assert not np.array_equal(a.spikes.time_us, c.spikes.time_us)


def test_events_beyond_the_link_bandwidth_are_dropped_and_counted():
    cfg = single_neuron(weight=1)
    n = 1000
    result = Emulator(ideal=True).run(cfg, Stimulus.single(np.full(n, 5.0), INPUT_LABEL), 20.0, seed=0)
    delivered = INPUT_EVENTS_PER_TICK * (INPUT_FIFO_DEPTH_TICKS + 1)
    assert result.dropped_events.tolist() == [n - delivered]


def test_bursts_within_the_bandwidth_are_delayed_not_dropped():
    result = Emulator(ideal=True).run(single_neuron(), Stimulus.single(np.full(30, 5.0), INPUT_LABEL), 20.0)
    assert result.dropped_events.tolist() == [0]


@pytest.mark.parametrize("mutate, error, words", [
    (lambda c: setattr(c.readout, "madc_neurons", (600,)), ResourceError, "0..511"),
    (lambda c: setattr(c.readout, "madc_neurons", (2, 4)), ResourceError, "one even and one odd"),
    (lambda c: setattr(c, "routing", EventRouting.from_entries([(1, 0, 300, 0)])), ResourceError, "row = 300"),
    (lambda c: setattr(c, "routing", EventRouting.from_entries([(1, 2, 0, 0)])), ResourceError, "hemisphere = 2"),
    (lambda c: setattr(c, "routing", EventRouting.from_entries([(1, 0, 0, 64)])), ConfigurationError, "0..63"),
    (lambda c: c.synapses.weights.__setitem__((0, 1, 2), 64), ConfigurationError, "0..63 (6 bit)"),
    (lambda c: c.synapses.labels.__setitem__((1, 1, 2), 70), ConfigurationError, "labels must lie in 0..63"),
    (lambda c: c.neurons.leak_v_leak.__setitem__(3, 1023), ConfigurationError, "0..1022"),
    (lambda c: c.neurons.refractory_period_refractory_time.__setitem__(3, 256), ConfigurationError, "0..255"),
    (lambda c: setattr(c.readout, "cadc_period_us", 0.1), ResourceError, "1.85 MSa/s"),
])
def test_bad_configurations_are_refused_with_a_message_naming_the_limit(mutate, error, words):
    cfg = single_neuron()
    mutate(cfg)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        Emulator(ideal=True).run(cfg, Stimulus.empty(), 10.0)


@pytest.mark.parametrize("stimulus, words", [
    (Stimulus.single([3.0, 1.0], INPUT_LABEL), "out of order"),
    (Stimulus.single([-1.0], INPUT_LABEL), ">= 0"),
    (Stimulus.single([1.0], 2**14), "14 bit"),
    (Stimulus(1, np.array([1]), np.array([1.0]), np.array([INPUT_LABEL])), "trial indices"),
])
def test_bad_stimuli_are_refused(stimulus, words):
    with pytest.raises(StimulusError, match=words):
        Emulator(ideal=True).run(single_neuron(), stimulus, 10.0)


def test_non_positive_duration_is_refused():
    with pytest.raises(ConfigurationError, match="positive"):
        Emulator(ideal=True).run(single_neuron(), Stimulus.empty(), 0.0)
