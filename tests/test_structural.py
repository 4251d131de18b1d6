"""Structural plasticity on Iris (bss2_experiments/structural), a PyNN script on the
emulated chip: the rule's terms one at a time, pruning on the network's synapse layout,
a short run, saved data, errors; the full experiment (5 seeds x 3 levels) under ``slow``."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import bss2_experiments.pynn as sim
from bss2_experiments.structural.encoding import N_CLASSES, Encoding, iris_split
from bss2_experiments.structural.experiment import (
    RuleParameters, StructuralConfig, evaluate, run, session, train_chunk,
)
from bss2_experiments.structural.network import (
    Layout, build, connections, evaluation_inputs, fan_in, receptive_fields, set_training_inputs,
)
from ppu_firmware.host import PPUState, decode_mailbox, run_kernel

ENC = Encoding()
LAYOUT = Layout((8, 16), neurons_per_class=2, n_receptors=ENC.n_receptors)
CONFIG = StructuralConfig(fan_ins=LAYOUT.fan_ins, neurons_per_class=2, seeds=(0,))


def _network(weight: int, seed: int = 11):
    sim_ = session(CONFIG, seed)
    return sim_, build(sim_, LAYOUT, weight, seed=seed)


def _synapses(net) -> np.ndarray:
    """All pool connections: rows (level, receptor, neuron in level, weight)."""
    return np.concatenate([np.column_stack([np.full(len(c), lev), c]) for lev, c in enumerate(connections(net))])


def _one_class_chunk(rule: RuleParameters, cls: int = 0, n: int = 6, weight: int = 30):
    """Present ``n`` training samples of class ``cls`` once (no pruning); returns the pool
    connections before and after, the samples' mean receptor activations and the mailbox."""
    sim_, net = _network(weight)
    x, y, _, _ = iris_split(0)
    pick = np.flatnonzero(y == cls)[:n]
    before = _synapses(net)
    box = train_chunk(sim_, net, ENC, rule, x[pick], y[pick], np.random.default_rng(11), prune=False)
    return before, _synapses(net), ENC.activations(x[pick]).mean(0), box


def test_stdp_term_potentiates_synapses_from_active_receptors() -> None:
    before, after, activation, box = _one_class_chunk(RuleParameters(step=0, noise=0))
    np.testing.assert_array_equal(after[:, :3], before[:, :3])       # no pruning call: same receptors
    assert box["calls"] == 6 and box["pruned"] == 0
    dw = after[:, 3] - before[:, 3]
    a = activation[before[:, 1].astype(int)]
    own = before[:, 2] // LAYOUT.neurons_per_class == 0
    active, silent = own & (a > 0.5), own & (a < 0.02)
    assert active.sum() >= 3 and silent.sum() >= 10
    # causal pairing (teacher after the volley) potentiates ...
    assert dw[active].mean() > 8, dw[active]
    # ... the silent receptors' synapses barely move (sensor offsets only)
    assert abs(dw[silent].mean()) < 1.5
    # the other classes fire just before the volleys: their synapses from active receptors are depressed
    a_other = ~own & (a > 0.5)
    assert a_other.sum() >= 3 and dw[a_other].mean() < -3 and (dw[a_other] < 0).mean() > 0.7, dw[a_other]


def test_homeostasis_term_depresses_every_synapse_of_firing_neurons_only() -> None:
    """target 0: each call in which a neuron fired takes `step` from all its pool synapses;
    the teachers' synapses (outside the pool rows) are not the kernel's."""
    before, after, _, _ = _one_class_chunk(RuleParameters(factor=0, step=3, noise=0), n=4)
    # every label neuron fires in every call (teacher after, or anti-teacher before, the volleys)
    np.testing.assert_array_equal(after[:, 3] - before[:, 3], -3 * 4)
    compiled, result = sim.simulator.state.last_run
    rule = next(iter(sim.simulator.state.plasticity_rules))
    outside = ~rule.rows[0]
    np.testing.assert_array_equal(result.plasticity.weights[0, 0][outside], compiled.config.synapses.weights[0][outside])
    assert compiled.config.synapses.weights[0][outside].max() == 63     # the teacher synapses


def test_homeostasis_bounds_the_rate_of_an_overdriven_neuron() -> None:
    """Maximal weights make the label neurons fire on the receptors alone; homeostasis
    (no STDP, no noise) lowers their input-driven rate call by call."""
    sim_, net = _network(63, seed=5)
    rng = np.random.default_rng(5)
    x, y, _, _ = iris_split(0)
    test = evaluation_inputs(net, ENC.receptor_spikes(x[:20], rng))

    def spikes():
        with net.rule.disabled():
            result = sim_.run_batch(ENC.sample_ms, test)
        return sum(result.spike_counts(p).sum() for p in net.levels)

    before = spikes()
    train_chunk(sim_, net, ENC, RuleParameters(factor=0, step=4, noise=0), x[:5], y[:5], rng, prune=False)
    after = spikes()
    assert before > 500
    assert after < 0.7 * before


def test_noise_term_explores_without_drift() -> None:
    before, after, _, _ = _one_class_chunk(RuleParameters(factor=0, step=0, noise=4), n=8)
    dw = after[:, 3] - before[:, 3]
    # 8 calls of uniform noise in -4..4 (variance 20/3 each): std sqrt(8 * 6.67) = 7.3
    assert 5.0 < dw.std() < 10.0
    assert abs(dw.mean()) < 1.5
    assert np.unique(dw).size > 15


def test_pruning_rewires_weak_pool_synapses_and_keeps_every_fan_in() -> None:
    """The C kernel on the synapse arrays the PyNN mapping made of the network (taken from
    a one-sample run with a kernel that changes nothing): one pruning call."""
    sim_, net = _network(20, seed=2)
    x, y, _, _ = iris_split(0)
    train_chunk(sim_, net, ENC, RuleParameters(factor=0, step=0, noise=0), x[:1], y[:1], np.random.default_rng(2),
                prune=False)
    syn = sim.simulator.state.last_run[0].config.synapses
    rows = np.flatnonzero(net.rule.rows[0])
    assert rows.tolist() == list(range(max(LAYOUT.fan_ins)))           # the pool's rows, shared by both levels
    cols = np.arange(LAYOUT.n_columns)                                 # label neurons on chip neurons 0..
    labels = syn.labels[0].copy()
    connected = labels[np.ix_(rows, cols)] < LAYOUT.n_receptors
    np.testing.assert_array_equal(connected.sum(0), LAYOUT.fan_in_of_column())
    rng = np.random.default_rng(2)
    weights = syn.weights[0].copy()
    weights[np.ix_(rows, cols)] = np.where(connected, rng.integers(0, 64, connected.shape), 0)
    params = dict(RuleParameters(factor=0, step=0, noise=0, prune_threshold=20, initial_weight=9).mailbox(),
                  rows=rows, label_count=LAYOUT.n_receptors, prune_period=1)   # prune at this call
    state = PPUState.for_kernel("structural", params, weights=weights.copy(), labels=labels.copy(), rng_state=12345)
    run_kernel("structural", state)
    w0, w1 = weights[np.ix_(rows, cols)], state.weights[np.ix_(rows, cols)]
    l0, l1 = labels[np.ix_(rows, cols)], state.labels[np.ix_(rows, cols)]
    weak = connected & (w0 < 20)
    assert weak.sum() > 30
    np.testing.assert_array_equal(w1[weak], 9)
    np.testing.assert_array_equal(w1[connected & ~weak], w0[connected & ~weak])
    assert (l1[weak] < LAYOUT.n_receptors).all()
    assert (l1[weak] != l0[weak]).mean() > 0.9                          # new random receptors
    np.testing.assert_array_equal(l1[~connected], l0[~connected])        # free synapses stay free
    np.testing.assert_array_equal((l1 < LAYOUT.n_receptors).sum(0), LAYOUT.fan_in_of_column())
    teacher = np.setdiff1d(np.arange(256), rows)
    np.testing.assert_array_equal(state.weights[teacher], weights[teacher])   # teacher rows untouched
    np.testing.assert_array_equal(state.labels[teacher], labels[teacher])
    assert decode_mailbox("structural", state.mailbox)["pruned"] == weak.sum()


def test_fan_in_and_receptive_fields_of_the_built_network() -> None:
    _, net = _network(20, seed=3)
    np.testing.assert_array_equal(fan_in(net), LAYOUT.fan_in_of_column())
    rf = receptive_fields(net)
    assert rf.shape == (LAYOUT.n_columns, LAYOUT.n_receptors)
    np.testing.assert_array_equal(rf.sum(1), 20 * LAYOUT.fan_in_of_column())
    np.testing.assert_array_equal((rf > 0).sum(1), LAYOUT.fan_in_of_column())   # distinct receptors
    array = np.nan_to_num(net.pools[1].get("weight", format="array"))          # (receptors, neurons)
    np.testing.assert_array_equal(rf[LAYOUT.columns(1)], array.T)


def test_training_inputs_carry_receptor_rates_and_teachers() -> None:
    _, net = _network(20)
    rng = np.random.default_rng(0)
    x, y, _, _ = iris_split(0)
    set_training_inputs(net, ENC, x[:30], y[:30], rng, t0_ms=100.0)
    trains = [np.asarray(s.value) for s in net.teachers.get("spike_times")]
    # the presented class's teacher after each volley, the others' (anti-teacher) before it
    assert [t.size for t in trains] == [ENC.volleys * ENC.teacher_spikes * 30] * N_CLASSES
    assert min(t.min() for t in trains) >= 100.0 - ENC.anti_teacher_lead_ms
    inhibition = [np.asarray(s.value).size for s in net.inhibitors.get("spike_times")]
    assert inhibition == [ENC.volleys * (y[:30] != c).sum() for c in range(N_CLASSES)]
    receptors = [np.asarray(s.value) for s in net.receptors.get("spike_times")]
    assert all(np.all(np.diff(t) >= 0) and (t.size == 0 or t.max() < 100.0 + 30 * ENC.sample_ms) for t in receptors)
    spikes = ENC.receptor_spikes(np.tile(x[:1], (400, 1)), rng)
    rate = np.isfinite(spikes).mean(axis=(0, 2))
    np.testing.assert_allclose(rate, ENC.activations(x[:1])[0], atol=0.03)


def test_short_run_beats_chance_keeps_fan_in_and_saves(tmp_path) -> None:
    config = StructuralConfig(fan_ins=(16,), seeds=(0,), epochs=2, test_every=60, neurons_per_class=3,
                              rule=RuleParameters(prune_period=120), level_start_weights=((16, 10), (32, 4)))
    result = run(config, progress=False)
    seed = result.seeds[0]
    assert seed.accuracy[0, 0] < 0.5                         # random wiring
    assert seed.accuracy[-1, 0] >= 0.7, seed.accuracy[:, 0]  # chance is 1/3
    pruned = seed.pruned[:, 0]                               # test points after 0, 60, 120, 180, 240 samples
    assert pruned[1] == 0 < pruned[2] == pruned[3] < pruned[4]   # pruning at calls 120 and 240 only
    folder = result.save(tmp_path)
    data = np.load(folder / "structural.npz")
    np.testing.assert_array_equal(data["fan_in"], np.broadcast_to(data["expected_fan_in"], data["fan_in"].shape))
    assert data["fan_in"].shape[1] == 1 + 240 // 60            # at every test point
    np.testing.assert_allclose(data["receptive_fields"][0, 0].sum(axis=-1), 10 * 16)   # level's initial weight x k
    doc = json.loads((folder / "structural.json").read_text())
    assert doc["summary"]["fan_in_constant"] is True
    assert doc["provenance"]["calibration_id"] == result.calibration_id
    assert (folder / "structural.png").stat().st_size > 10_000


def test_evaluation_runs_batched_without_the_kernel() -> None:
    sim_, net = _network(30)
    x = iris_split(0)[2][:4]
    predictions = evaluate(sim_, net, ENC, evaluation_inputs(net, ENC.receptor_spikes(x, np.random.default_rng(1))))
    assert predictions.shape == (len(LAYOUT.fan_ins), 4) and set(np.unique(predictions)) <= {0, 1, 2}
    assert sim.simulator.state.last_run[1].plasticity is None
    assert net.rule in sim.simulator.state.plasticity_rules                 # enabled again afterwards


@pytest.mark.parametrize("bad, message", [
    (dict(fan_ins=(61,)), "fan-in k = 61"),
    (dict(fan_ins=()), "at least one fan-in"),
    (dict(epochs=0), "epochs"),
    (dict(test_every=0), "test_every"),
    (dict(level_start_weights=((32, 70),)), r"start_weight = 70 \(level k = 32\)"),
    (dict(encoding=Encoding(receptors_per_feature=16)), "64 receptors: a label pool holds at most 63"),
])
def test_bad_configuration_is_refused(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        StructuralConfig(**bad)


@pytest.mark.parametrize("bad, message", [
    (dict(volley_period_ms=-40.0), "positive period"),
    (dict(width=-0.1), "width"),
    (dict(spikes_per_volley=-1), "at least one spike"),
    (dict(jitter_ms=-1.0), "delays must be >= 0"),
])
def test_negative_rates_and_times_are_refused(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        Encoding(**bad)
    with pytest.raises(ValueError, match="noise = -1"):
        RuleParameters(noise=-1)
    with pytest.raises(ValueError, match="prune_period = 300"):
        RuleParameters(prune_period=300)


def test_cli_refuses_a_fan_in_beyond_the_pool() -> None:
    out = subprocess.run([sys.executable, "-m", "bss2_experiments.cli", "run", "structural", "--fan-in", "80",
                          "--no-progress"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "fan-in k = 80" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_full_experiment_on_five_seeds_and_three_levels(tmp_path) -> None:
    """The issue asks for >= 95 % mean test accuracy at every level; measured 96.0 / 96.0 /
    96.7 % (k = 8 / 16 / 32; k = 32 with its own, weaker initial and rewired synapses), one
    or two test errors (0.67 % each of the five-seed mean) above the floor."""
    out = subprocess.run([sys.executable, "-m", "bss2_experiments.cli", "run", "structural", "--json", "--no-progress",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(summary["test_accuracy"]) == {"8", "16", "32"}
    assert summary["fan_in_constant"] is True
    data = np.load(next(tmp_path.glob("structural/*/structural.npz")))
    assert data["fan_in"].shape[:2] == (5, summary["test_points"]) and summary["pruning_steps"]["8"] == 36
    np.testing.assert_array_equal(data["fan_in"], np.broadcast_to(data["expected_fan_in"], data["fan_in"].shape))
    accuracy = summary["test_accuracy"]
    for k, acc in accuracy.items():
        assert acc >= 0.95, (k, summary["test_accuracy_per_seed"])
    # sparser networks converge more slowly (Figure 19C; k = 8 and 16 share the rule constants):
    # later to 90 %, and a lower mean accuracy over the first 240 samples (measured 72.5 vs 85.3 %)
    reached = summary["samples_to_90_percent"]
    assert reached["16"] is not None and reached["8"] is not None and reached["8"] >= reached["16"], reached
    early = data["accuracy"].mean(axis=0)[data["samples_seen"] <= 240]      # (points, levels)
    assert early[:, 0].mean() < early[:, 1].mean() - 0.05, early.mean(axis=0)
