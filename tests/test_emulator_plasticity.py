"""PPU kernels running inside the emulator: STDP shape, R-STDP, homeostasis, structural
plasticity, and refusal of bad programs; configurable correlation sensors and their
end-of-run readout."""
from __future__ import annotations

import numpy as np
import pytest

from emulator.chip import Emulator
from emulator.correlation import TAU_CORRELATION_US
from emulator.errors import PlasticityError
from emulator.interface import (ChipConfiguration, CorrelationSensorConfig, EventRouting, PlasticityProgram,
                                PlasticityTimer, RowMode, Stimulus)

PAIRINGS = 60
PAIRING_PERIOD_US = 40.0
W0 = 20
TEACHER_LATENCY_US = 3.5


def pairing_chip(offsets_us: np.ndarray) -> tuple[ChipConfiguration, Stimulus, float]:
    """Neuron n gets a plastic synapse (row n, weight W0, input label 100 + n) and a teacher
    (row 128 + n, weight 63, label 200 + n) that makes it fire ~3.5 us after a burst starts. The
    pre event of pairing k comes ~``offsets_us[n]`` before that post spike."""
    cfg = ChipConfiguration()
    n_neurons = offsets_us.size
    neurons = np.arange(n_neurons)
    nc = cfg.neurons
    nc.leak_v_leak[neurons], nc.threshold_v_threshold[neurons], nc.reset_v_reset[neurons] = 214, 322, 190
    nc.threshold_enable[neurons] = nc.excitatory_input_enable[neurons] = True
    nc.excitatory_input_i_bias_tau[neurons] = 60                  # tau_syn 5 us
    routes = []
    for n in neurons:
        cfg.synapses.weights[0, n, n] = W0
        cfg.synapses.weights[0, 128 + n, n] = 63
        cfg.synapses.row_modes[0, [n, 128 + n]] = RowMode.EXCITATORY
        routes += [(100 + n, 0, n, 0), (200 + n, 0, 128 + n, 0)]
    cfg.routing = EventRouting.from_entries(routes)
    events = []
    for k in range(PAIRINGS):
        teacher = 20.0 + k * PAIRING_PERIOD_US
        for n in neurons:
            events += [(teacher + j * 0.2, 200 + n) for j in range(6)]
            events.append((teacher + TEACHER_LATENCY_US - offsets_us[n], 100 + n))
    events.sort()
    times, labels = np.array(events).T
    duration = 20.0 + PAIRINGS * PAIRING_PERIOD_US + 10.0
    return cfg, Stimulus.single(times, labels.astype(int)), duration


def stdp_program(duration_us: float, rows) -> PlasticityProgram:
    return PlasticityProgram("stdp", PlasticityTimer(duration_us - 5.0, 1000.0, 1),
                             {"factor": 127, "reset": 1, "rows": rows}, hemispheres=(0,))


def quadrant_biases(ramp: int, store: int) -> CorrelationSensorConfig:
    return CorrelationSensorConfig(np.full(4, ramp, np.int32), np.full(4, store, np.int32))


def stdp_window(sensors: CorrelationSensorConfig | None = None):
    """The STDP experiment below on the ideal chip: (pairing offsets, run result, stimulus)."""
    offsets = np.array([-12.0, -6.0, -3.0, -1.0, 1.5, 3.0, 6.0, 12.0])   # > 0: pre before post
    cfg, stim, duration = pairing_chip(offsets)
    cfg.plasticity = (stdp_program(duration, list(range(offsets.size))),)
    cfg.correlation = sensors
    return offsets, Emulator(ideal=True).run(cfg, stim, duration, seed=0), stim


def window_tau_us(offsets, result, stim) -> float:
    """Time constant (us) of the causal half of the STDP window: dw ~ exp(-dt / tau)."""
    post = np.array([result.spikes.times_of(n)[:PAIRINGS] for n in range(offsets.size)])
    pre_times = [stim.time_us[stim.label == 100 + n] for n in range(offsets.size)]
    dt = np.array([np.median(post[n] - pre_times[n]) for n in range(offsets.size)])
    dw = result.plasticity.weights[0, 0, np.arange(offsets.size), np.arange(offsets.size)].astype(int) - W0
    causal = (dt > 0) & (dw > 0)
    return -1.0 / np.polyfit(dt[causal], np.log(dw[causal]), 1)[0]


def test_stdp_kernel_in_the_emulator_has_the_stdp_window_shape():
    offsets, result, stim = stdp_window()
    spikes = result.spikes
    post = np.array([spikes.times_of(n)[:PAIRINGS] for n in range(offsets.size)])
    assert post.shape == (offsets.size, PAIRINGS)                  # every teacher burst fired its neuron
    pre_times = [stim.time_us[stim.label == 100 + n] for n in range(offsets.size)]
    dt = np.array([np.median(post[n] - pre_times[n]) for n in range(offsets.size)])   # t_post - t_pre
    dw = result.plasticity.weights[0, 0, np.arange(offsets.size), np.arange(offsets.size)].astype(int) - W0
    print("dt_us", np.round(dt, 2), "dw", dw)
    assert np.all(dw[dt > 0] > 0) and np.all(dw[dt < 0] < 0)     # potentiation / depression
    causal = dt > 0
    assert np.all(np.diff(dw[causal]) <= 0)                       # decays with |dt|
    assert np.all(np.diff(dw[~causal]) <= 0)
    assert window_tau_us(offsets, result, stim) == pytest.approx(TAU_CORRELATION_US, rel=0.25)
    assert result.plasticity.calls == 1
    assert result.plasticity.cycles_per_call["stdp"] > 0


def test_rstdp_with_positive_reward_potentiates_only_eligible_synapses():
    offsets = np.array([1.5, 1.5])
    cfg, stim, duration = pairing_chip(offsets)
    # neuron 1's plastic synapse gets its pre events 20 us away from any post spike: not eligible
    shifted = stim.time_us.copy()
    shifted[stim.label == 101] += 20.0
    order = np.argsort(shifted, kind="stable")
    stim = Stimulus.single(shifted[order], stim.label[order])
    rows = [0, 1]
    results = {}
    for reward in (16384, -16384):
        cfg.plasticity = (PlasticityProgram("rstdp", PlasticityTimer(duration - 5.0, 1000.0, 1),
                                            {"eta": 16384, "reward": reward, "rows": rows}, hemispheres=(0,)),)
        results[reward] = Emulator(ideal=True).run(cfg, stim, duration, seed=0).plasticity.weights[0, 0]
    assert results[16384][0, 0] > W0 + 5                          # eligible, rewarded: potentiated
    assert results[-16384][0, 0] < W0 - 5                         # eligible, punished: depressed
    assert results[16384][1, 1] == W0 and results[-16384][1, 1] == W0   # not eligible: unchanged


def test_homeostasis_brings_rates_to_the_target_within_10_percent():
    rng = np.random.default_rng(3)
    n_neurons, period_us, calls, target = 6, 100.0, 60, 12
    cfg = ChipConfiguration()
    neurons = np.arange(n_neurons)
    nc = cfg.neurons
    nc.leak_v_leak[neurons], nc.threshold_v_threshold[neurons], nc.reset_v_reset[neurons] = 214, 322, 190
    nc.threshold_enable[neurons] = nc.excitatory_input_enable[neurons] = True
    nc.refractory_period_refractory_time[neurons] = 16
    for n in neurons:                       # 4 input rows per neuron, initial weights far from the target
        rows = 4 * n + np.arange(4)
        cfg.synapses.weights[0, rows, n] = 5 + 8 * n
        cfg.synapses.row_modes[0, rows] = RowMode.EXCITATORY
    cfg.routing = EventRouting.from_entries([(r, 0, r, 0) for r in range(4 * n_neurons)])
    duration = period_us * calls
    count = rng.poisson(1.0 * duration)     # 1 event per us over all rows
    times = np.sort(rng.uniform(0, duration, count))
    stim = Stimulus.single(times, rng.integers(0, 4 * n_neurons, count))
    cfg.plasticity = (PlasticityProgram("homeostasis", PlasticityTimer(period_us, period_us, calls),
                                        {"target": target, "step": 1, "reset": 1,
                                         "rows": list(range(4 * n_neurons))}, hemispheres=(0,)),)
    result = Emulator(chip_id=2).run(cfg, stim, duration, seed=1)
    last = (result.spikes.time_us >= duration - 10 * period_us)
    counts = np.bincount(result.spikes.neuron[last], minlength=n_neurons)[:n_neurons] / 10.0
    print("spikes per period in the last 10 periods:", counts)
    assert np.all(np.abs(counts - target) <= 0.1 * target)


def test_structural_plasticity_keeps_fan_in_constant_and_labels_in_range():
    rng = np.random.default_rng(5)
    cfg = ChipConfiguration()
    neurons = np.arange(16)
    nc = cfg.neurons
    nc.leak_v_leak[neurons], nc.threshold_v_threshold[neurons], nc.reset_v_reset[neurons] = 214, 322, 190
    nc.threshold_enable[neurons] = nc.excitatory_input_enable[neurons] = True
    label_count = 32
    connected = rng.random((32, 16)) < 0.5
    cfg.synapses.labels[0, :32, :16] = np.where(connected, rng.integers(0, label_count, (32, 16)), 63)
    cfg.synapses.weights[0, :32, :16] = np.where(connected, rng.integers(0, 20, (32, 16)), 0)
    cfg.synapses.row_modes[0, :32] = RowMode.EXCITATORY
    cfg.routing = EventRouting.from_entries([(l, 0, r, l) for r in range(32) for l in range(label_count)])
    duration = 4000.0
    count = rng.poisson(0.5 * duration)
    stim = Stimulus.single(np.sort(rng.uniform(0, duration, count)), rng.integers(0, label_count, count))
    cfg.plasticity = (PlasticityProgram("structural", PlasticityTimer(200.0, 200.0, 19),
                                        {"prune_period": 2, "prune_threshold": 12, "label_count": label_count,
                                         "noise": 2, "rows": list(range(32))}, hemispheres=(0,)),)
    result = Emulator(chip_id=1).run(cfg, stim, duration, seed=2)
    labels_after = result.plasticity.labels[0, 0, :32, :16]
    fan_in_before = (cfg.synapses.labels[0, :32, :16] < label_count).sum(axis=0)
    fan_in_after = (labels_after < label_count).sum(axis=0)
    assert np.array_equal(fan_in_before, fan_in_after)
    assert labels_after.max() <= 63
    rewired = (labels_after != cfg.synapses.labels[0, :32, :16]) & (labels_after < label_count)
    assert rewired.sum() > 10                                     # pruning really happened


@pytest.mark.parametrize("program, words", [
    (PlasticityProgram("stpd", PlasticityTimer(10.0, 100.0, 1)), "known kernels"),
    (PlasticityProgram("stdp", PlasticityTimer(10.0, 300.0, 1), {"factor": 200}), "-128..127"),
    (PlasticityProgram("stdp", PlasticityTimer(10.0, 300.0, 1), {"gain": 1}), "no parameter 'gain'"),
    (PlasticityProgram("stdp", PlasticityTimer(10.0, 20.0, 3)), "period of at least"),
])
def test_bad_plasticity_programs_are_refused(program, words):
    cfg, stim, duration = pairing_chip(np.array([1.0]))
    cfg.plasticity = (program,)
    with pytest.raises(PlasticityError, match=words):
        Emulator(ideal=True).run(cfg, stim, 1000.0)


def test_events_a_kernel_sends_reach_the_network_when_the_call_ends():
    """The spike_train kernel sends a burst of 4 events per call into the routing: the
    neuron behind the routed label fires once per call, after the call, in every trial
    (2 events per call stay below threshold)."""
    from ppu_firmware.host import PPU_CYCLES_PER_US
    from tests.emulator_setups import INPUT_LABEL, single_neuron

    cfg = single_neuron(weight=63)
    calls, start_us, period_us = 5, 10.0, 20.0
    cfg.plasticity = (PlasticityProgram("spike_train", PlasticityTimer(start_us, period_us, calls),
                                        {"count": 4, "labels": [INPUT_LABEL] * 4 + [0] * 60}, hemispheres=(0,)),)
    result = Emulator(ideal=True).run(cfg, Stimulus.empty(2), start_us + calls * period_us, seed=3)
    assert result.plasticity.events_sent.tolist() == [[4 * calls, 0]] * 2
    call_us = start_us + period_us * np.arange(calls)
    cycles = result.plasticity.cycles_per_call["spike_train"]
    for trial in range(2):
        times = result.spikes.time_us[result.spikes.trial == trial]
        assert times.size == calls
        delay = times - call_us
        assert np.all(delay > cycles / PPU_CYCLES_PER_US) and np.all(delay < 6.0)
    mailbox_calls = result.plasticity.mailbox[0, 0, 2:4].view(">u2")[0]
    assert mailbox_calls == calls


def test_events_a_kernel_sends_to_an_unrouted_label_reach_nothing():
    from tests.emulator_setups import single_neuron

    cfg = single_neuron(weight=63)
    cfg.plasticity = (PlasticityProgram("spike_train", PlasticityTimer(10.0, 20.0, 3),
                                        {"count": 6, "labels": 1000}, hemispheres=(0,)),)
    result = Emulator(ideal=True).run(cfg, Stimulus.empty(1), 70.0, seed=3)
    assert result.plasticity.events_sent.tolist() == [[18, 0]]
    assert result.spikes.time_us.size == 0


def test_default_bias_configuration_is_the_nominal_correlation_calibration():
    """On the design chip the default CorrelationSensorConfig (ramp 240, store 200) gives
    calix' default calibration, 0.5 LSB / 5 us, exactly what ``correlation=None`` means:
    the STDP experiment ends with identical weights."""
    _, nominal, _ = stdp_window(None)
    _, biased, _ = stdp_window(CorrelationSensorConfig())
    np.testing.assert_array_equal(nominal.plasticity.weights, biased.plasticity.weights)
    sensors = Emulator(ideal=True).correlation_sensors(ChipConfiguration(correlation=CorrelationSensorConfig()))
    assert np.allclose(sensors.tau_us, TAU_CORRELATION_US) and np.allclose(sensors.amplitude_lsb, 0.5)


def test_stdp_window_follows_the_configured_correlation_time_constant():
    """Ramp bias 120 instead of 240 doubles the sensors' time constant on the design chip:
    the STDP window the kernel learns widens from ~5 to ~10 us."""
    tau_default = window_tau_us(*stdp_window(None))
    tau_slow = window_tau_us(*stdp_window(quadrant_biases(120, 200)))
    print("STDP window tau (us):", round(tau_default, 2), round(tau_slow, 2))
    assert tau_slow == pytest.approx(2 * TAU_CORRELATION_US, rel=0.25)
    assert tau_slow / tau_default == pytest.approx(2.0, rel=0.2)


def test_per_quadrant_sensor_parameters_are_fixed_per_chip():
    cfg = ChipConfiguration(correlation=quadrant_biases(240, 200))
    a, b, other = Emulator(chip_id=3), Emulator(chip_id=3), Emulator(chip_id=4)
    tau_a, tau_other = a.correlation_sensors(cfg).tau_us, other.correlation_sensors(cfg).tau_us
    np.testing.assert_array_equal(tau_a, b.correlation_sensors(cfg).tau_us)
    assert not np.allclose(tau_a, tau_other)
    assert np.unique(tau_a).size == 4                              # one value per quadrant
    assert np.all(tau_a[0, :128] == tau_a[0, 0]) and tau_a[0, 0] != tau_a[0, 128]
    default = a.correlation_sensors(ChipConfiguration())           # None: calibrated nominal on every chip
    assert np.all(default.tau_us == TAU_CORRELATION_US) and np.all(default.amplitude_lsb == 0.5)


def expected_correlation(pre: np.ndarray, post: np.ndarray, amplitude: float, tau: float) -> tuple[float, float]:
    """Accumulated causal and acausal correlation of one synapse: every post spike adds
    ``amplitude x`` the decayed sum of all earlier pre events, and vice versa."""
    causal = sum(amplitude * np.exp(-(t - pre[pre < t]) / tau).sum() for t in post)
    acausal = sum(amplitude * np.exp(-(t - post[post < t]) / tau).sum() for t in pre)
    return causal, acausal


def test_correlation_reads_at_end_of_a_run_match_the_pairs():
    """Ideal chip (no offsets, gains 1, no noise), store bias 100 = 1 LSB per pair: the
    end-of-run reads equal the accumulated pair correlation rounded to the LSB, with and
    without a PPU program (a kernel that neither resets nor learns leaves them alone)."""
    offsets = np.array([-4.0, 2.0])
    cfg, stim, duration = pairing_chip(offsets)
    cfg.correlation = quadrant_biases(240, 100)
    cfg.readout.correlation_at_end = True
    static = Emulator(ideal=True).run(cfg, stim, duration, seed=0)
    cfg.plasticity = (PlasticityProgram("stdp", PlasticityTimer(10.0, 1000.0, 1),
                                        {"factor": 0, "reset": 0, "rows": [0, 1]}, hemispheres=(0,)),)
    plastic = Emulator(ideal=True).run(cfg, stim, duration, seed=0)
    for n in range(offsets.size):
        pre = stim.time_us[stim.label == 100 + n]
        causal, acausal = expected_correlation(pre, static.spikes.times_of(n), 1.0, TAU_CORRELATION_US)
        for result in (static, plastic):
            reads = result.correlation
            assert reads.causal.shape == (1, 2, 256, 256)
            assert abs(int(reads.causal[0, 0, n, n]) - causal) <= 0.5 + 1e-6
            assert abs(int(reads.acausal[0, 0, n, n]) - acausal) <= 0.5 + 1e-6
        assert (causal > 20) if offsets[n] > 0 else (acausal > 20)
    assert Emulator(ideal=True).run(pairing_chip(offsets)[0], stim, duration, seed=0).correlation is None
