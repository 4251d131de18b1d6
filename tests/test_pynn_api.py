"""The PyNN API of bss2_experiments.pynn against a scripted chip (any object implementing
the Chip protocol) and against the emulator, with raw HXNeurons (no calibration)."""
import numpy as np
import pytest
import quantities as pq

import bss2_experiments.pynn as sim
from emulator.interface import (
    N_NEURONS, CADCSamples, Chip, ChipConfiguration, MADCTrace, PlasticityOutput, RunResult, SpikeRecord,
)

BYPASS_LATENCY_US = 0.5


class BypassChip:
    """A Chip that fires every neuron an input event reaches, ``BYPASS_LATENCY_US`` later
    (pynn_brainscales' neuron bypass), and reports ramps on the ADCs. It remembers what
    it was given."""

    chip_id = 99
    identity = "bypass"

    def __init__(self):
        self.calls = []

    def run(self, config, stimulus, duration_us, seed=None):
        config.validate()
        stimulus.validate()
        self.calls.append((config, stimulus, duration_us))
        r, syn = config.routing, config.synapses
        trial, time, neuron = [], [], []
        for k, t, label in zip(stimulus.trial, stimulus.time_us, stimulus.label):
            for h, row, lab in zip(r.hemisphere[r.source_label == label], r.row[r.source_label == label],
                                   r.synapse_label[r.source_label == label]):
                cols = np.flatnonzero((syn.labels[h, row] == lab) & (syn.weights[h, row] > 0))
                trial += [k] * cols.size
                time += [t + BYPASS_LATENCY_US] * cols.size
                neuron += list(h * 256 + cols)
        order = np.lexsort((neuron, time, trial))
        spikes = SpikeRecord(stimulus.n_trials, np.array(trial, int)[order], np.array(time)[order],
                             np.array(neuron, int)[order])
        n = stimulus.n_trials
        madc = cadc = plasticity = None
        if config.readout.madc_neurons:
            t = np.arange(0.0, duration_us, 1 / 29.4)
            samples = np.broadcast_to(np.arange(t.size), (n, len(config.readout.madc_neurons), t.size))
            madc = MADCTrace(config.readout.madc_neurons, config.readout.madc_source, t, samples)
        if config.readout.cadc_period_us:
            t = np.arange(0.0, duration_us, config.readout.cadc_period_us)
            cadc = CADCSamples(t, np.full((n, t.size, N_NEURONS), 100, np.uint8))
        if config.plasticity:
            weights = np.broadcast_to(config.synapses.weights // 2, (n,) + syn.weights.shape).copy()
            mailbox = np.zeros((n, 2, 4096), np.uint8)
            mailbox[:, :, 0:2] = [1, 2]  # big-endian 258
            plasticity = PlasticityOutput(weights, np.broadcast_to(syn.labels, weights.shape).copy(), mailbox,
                                          {config.plasticity[0].kernel: 1000}, 3)
        return RunResult(chip_id=self.chip_id, duration_us=duration_us, seed=seed or 0, spikes=spikes,
                         dropped_events=np.zeros(n, int), madc=madc, cadc=cadc, plasticity=plasticity)


@pytest.fixture
def chip():
    chip = BypassChip()
    assert isinstance(chip, Chip)
    sim.setup(timestep=0.1, chip=chip, seed=5)
    yield chip
    sim.end()


def _network(n_src=2, n_post=3, weight=10, spike_times=((1.0, 4.0), (2.0,))):
    src = sim.Population(n_src, sim.SpikeSourceArray(spike_times=[list(t) for t in spike_times]), label="src")
    post = sim.Population(n_post, sim.HXNeuron(), label="post")
    proj = sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=weight))
    return src, post, proj


def test_spikes_come_back_as_neo_in_biological_ms(chip):
    src, post, _ = _network()
    post.record("spikes")
    src.record("spikes")
    sim.run(10.0)
    seg = post.get_data().segments[0]
    times = [st.rescale(pq.ms).magnitude.tolist() for st in seg.spiketrains]
    assert times == [[1.5, 4.5], [2.5], []]  # 0.5 us latency = 0.5 biological ms
    assert seg.spiketrains[0].t_stop == 10.0 * pq.ms
    assert [st.magnitude.tolist() for st in src.get_data().segments[0].spiketrains] == [[1.0, 4.0], [2.0]]
    config, stimulus, duration = chip.calls[0]
    assert duration == pytest.approx(10.0)  # 10 biological ms = 10 hardware us


def test_run_twice_appends_and_reset_starts_a_segment(chip):
    src, post, _ = _network(spike_times=((1.0, 6.0), (7.0,)))
    post.record("spikes")
    sim.run(5.0)
    sim.run(5.0)
    assert sim.get_current_time() == pytest.approx(10.0)
    second = chip.calls[1][1]
    assert second.time_us.tolist() == [1.0, 2.0]  # 6 and 7 ms, relative to the second run's start
    seg = post.get_data().segments[0]
    assert [st.magnitude.tolist() for st in seg.spiketrains][:2] == [[1.5, 6.5], [7.5]]
    sim.reset()
    sim.run(5.0)
    block = post.get_data()
    assert len(block.segments) == 2
    assert [st.magnitude.tolist() for st in block.segments[1].spiketrains][:2] == [[1.5], []]


def test_unplaced_neurons_are_quiet_and_permutation_is_honoured():
    chip = BypassChip()
    sim.setup(timestep=0.1, chip=chip, neuronPermutation=[300, 7, 42])
    src, post, _ = _network(spike_times=((1.0,), (2.0,)))
    post.record("spikes")
    sim.run(5.0)
    config = chip.calls[0][0]
    n = config.neurons
    placed = np.zeros(N_NEURONS, bool)
    placed[[300, 7, 42]] = True
    for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable", "event_output_enable"):
        assert not getattr(n, name)[~placed].any(), name
    assert [st.magnitude.tolist() for st in post.get_data().segments[0].spiketrains] == [[1.5], [2.5], []]
    assert chip.calls[0][0].synapses.weights[1, :, 300 - 256].sum() == 10
    sim.end()


def test_hxneuron_parameters_reach_the_chip(chip):
    post = sim.Population(2, sim.HXNeuron(leak_v_leak=700, threshold_enable=True))
    post[1:2].set(leak_i_bias=123)
    assert post.get("leak_i_bias").tolist() == [300, 123]
    sim.run(1.0)
    n = chip.calls[0][0].neurons
    assert n.leak_v_leak[:2].tolist() == [700, 700] and n.leak_i_bias[:2].tolist() == [300, 123]
    assert n.threshold_enable[:2].all()


def test_weights_are_arrays_and_set_get_round_trip(chip):
    src, post, proj = _network()
    assert isinstance(proj._weight, np.ndarray) and len(proj) == 2
    w = proj.get("weight", format="array")
    assert np.isnan(w[0, 1]) and w[0, 0] == 10
    proj.set(weight=np.array([[20.0, 0, 0], [0, 30.0, 0]]))
    assert proj.get("weight", format="list") == [(0, 0, 20.0), (1, 1, 30.0)]
    sim.run(1.0)
    assert sorted(chip.calls[0][0].synapses.weights[0][chip.calls[0][0].synapses.weights[0] > 0].tolist()) == [20, 30]


def test_madc_and_cadc_recordings(chip):
    post = sim.Population(3, sim.HXNeuron())
    post[0:1].record("v")
    other = sim.Population(2, sim.HXNeuron())
    other.record("v", device="cadc", sampling_interval=1.0)
    sim.run(4.0)
    config = chip.calls[0][0]
    assert config.readout.madc_neurons == (0,)
    assert config.readout.cadc_period_us == pytest.approx(1.0)
    madc = post.get_data().segments[0].analogsignals[0]
    assert madc.sampling_period.rescale(pq.ms).magnitude == pytest.approx(1 / 29.4, rel=1e-2)
    assert madc.magnitude[:3, 0].tolist() == [0, 1, 2]  # HXNeuron: raw ADC LSB
    cadc = other.get_data().segments[0].analogsignals[0]
    assert cadc.shape == (4, 2) and (cadc.magnitude == 100).all()


def test_run_batch_returns_per_trial_spikes(chip):
    src, post, _ = _network()
    trials = [[[1.0], []], [[], [3.0, 5.0]], [[], []]]
    result = sim.run_batch(10.0, inputs={src: trials})
    stimulus = chip.calls[0][1]
    assert stimulus.n_trials == 3
    assert result.spike_counts(post).tolist() == [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
    assert result[post][1][1].tolist() == [3.5, 5.5]
    assert sim.get_current_time() == 0.0  # the batch does not advance the network's time


def test_run_batch_takes_arrays_and_returns_first_spike_arrays(chip):
    src, post, _ = _network()
    trials = [[[1.0], []], [[], [3.0, 5.0]], [[], []]]
    lists = sim.run_batch(10.0, inputs={src: trials})
    padded = np.array([[[1.0, np.nan], [np.nan, np.nan]], [[np.inf, np.nan], [3.0, 5.0]],
                       [[np.nan, np.nan], [np.nan, np.nan]]])
    arrays = sim.run_batch(10.0, inputs={src: padded})
    for field in ("trial", "time_us", "label"):   # the chip got the same events
        assert getattr(chip.calls[1][1], field).tolist() == getattr(chip.calls[0][1], field).tolist()
    assert arrays.spike_counts(post).tolist() == lists.spike_counts(post).tolist()
    first = arrays.first_spike_times(post)
    assert first.shape == (3, 3)
    np.testing.assert_array_equal(first, [[1.5, np.inf, np.inf], [np.inf, 3.5, np.inf], [np.inf] * 3])
    one_each = sim.run_batch(10.0, inputs={src: np.array([[2.0, np.nan], [np.nan, 4.0]])})   # (trials, size)
    np.testing.assert_array_equal(one_each.first_spike_times(post)[:, :2], [[2.5, np.inf], [np.inf, 4.5]])
    assert arrays.chip_identity == "bypass" and arrays.calibration is None
    assert arrays.stimulus.n_trials == 3 and arrays.config is chip.calls[1][0]


def test_run_batch_array_inputs_with_fixed_sources_and_bad_arrays(chip):
    src, post, _ = _network()
    bias = sim.Population(3, sim.SpikeSourceArray(spike_times=[[0.5], [], [6.0, 20.0]]), label="bias")
    sim.Projection(bias, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=10))
    result = sim.run_batch(10.0, inputs={src: np.array([[1.0, np.nan], [np.nan, 2.0]])})
    # bias plays its own times in every trial (20 ms lies after the trial)
    np.testing.assert_array_equal(result.first_spike_times(post), [[0.5 + 0.5, np.inf, 6.5], [1.0, 2.5, 6.5]])
    with pytest.raises(ValueError, match=r"src: an array input needs shape \(n_trials, 2\)"):
        sim.run_batch(10.0, inputs={src: np.zeros((2, 3))})
    with pytest.raises(ValueError, match="src: spike times must be >= 0 ms"):
        sim.run_batch(10.0, inputs={src: np.array([[-1.0, 2.0]])})
    with pytest.raises(ValueError, match=r"inputs must be spike sources of the network; \['post'\]"):
        sim.run_batch(10.0, inputs={post: np.zeros((1, 3))})


def test_plasticity_rule_on_a_projection(chip):
    timer = sim.Timer(start=1.0, period=2.0, num_periods=3)
    rule = sim.PlasticityRule(kernel="homeostasis", timer=timer, parameters={"target": 5},
                              observables={"counter": sim.Observable(offset=0, dtype="u2")})
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    post = sim.Population(2, sim.HXNeuron())
    proj = sim.Projection(src, post, sim.AllToAllConnector(), sim.PlasticSynapse(weight=40, plasticity_rule=rule))
    sim.run(10.0)
    program = chip.calls[0][0].plasticity[0]
    assert program.kernel == "homeostasis" and program.parameters == {"target": 5}
    assert (program.timer.start_us, program.timer.period_us, program.timer.num_periods) == (1.0, 2.0, 3)
    assert program.hemispheres == (0,)
    assert rule.rows[0].sum() == 2 and rule.columns[0, :2].all() and rule.columns.sum() == 2
    assert (proj.get("weight", format="array") == 20).all()  # the scripted kernel halves every weight
    assert rule.get_observable("counter").tolist() == [[[258], [258]]]
    sim.reset()
    assert (proj.get("weight", format="array") == 40).all()


def test_plasticity_rule_on_a_population_with_mapping_dependent_parameters(chip):
    seen = {}

    def parameters(rows, columns):
        seen["columns"] = np.flatnonzero(columns[0])
        return {"n_columns": int(columns.sum())}

    rule = sim.PlasticityRule(kernel="rate_counter", timer=sim.Timer(0.0, 1.0, 1), parameters=parameters)
    sim.Population(1, sim.HXNeuron())
    sim.Population(3, sim.HXNeuron(plasticity_rule=rule))
    sim.run(2.0)
    assert seen["columns"].tolist() == [1, 2, 3]
    assert chip.calls[0][0].plasticity[0].parameters == {"n_columns": 3}


def test_procedural_api_and_assemblies(chip):
    src = sim.create(sim.SpikeSourceArray(spike_times=[1.0]), n=2)
    a = sim.create(sim.HXNeuron(), n=2)
    b = sim.create(sim.HXNeuron(), n=2)
    both = a + b
    sim.connect(src, both, weight=7, receptor_type="excitatory", p=1.0)  # an Assembly cannot guess it
    both.record("spikes")
    sim.run(3.0)
    counts = both.get_spike_counts()
    assert sorted(counts.values()) == [2, 2, 2, 2]  # two sources each


def test_emulator_runs_hxneuron_leak_over_threshold():
    sim.setup(timestep=0.1, ideal=True, seed=1)
    pop = sim.Population(1, sim.HXNeuron(leak_v_leak=1000, leak_i_bias=200, threshold_v_threshold=300,
                                         reset_v_reset=400, threshold_enable=True,
                                         refractory_period_refractory_time=120, reset_i_bias=1022))
    quiet = sim.Population(1, sim.HXNeuron())
    pop.record(["spikes", "v"])
    quiet.record("spikes")
    sim.run(100.0)
    seg = pop.get_data().segments[0]
    isi = np.diff(seg.spiketrains[0].magnitude)
    assert len(seg.spiketrains[0]) > 3 and np.ptp(isi) < 0.1  # regular firing
    v = seg.analogsignals[0].magnitude[:, 0]
    assert v.max() > v.min() + 50  # MADC LSB: the membrane swings between reset and threshold
    assert len(quiet.get_data().segments[0].spiketrains[0]) == 0
    sim.end()


def test_calib_hx_neuron_cuba_takes_targets_and_hardware_weights():
    from bss2_experiments.pynn.configure import compile_network
    sim.setup(timestep=0.1, ideal=True, seed=2, progress=False)
    # the agreement tests' targets (80 / 80 / 125 LSB, 10 / 5 / 5 / 2 us): a cached calibration
    cell = sim.CalibHXNeuronCuba(v_rest=80, v_reset=80, v_thresh=125, tau_m=10, tau_syn_E=5, tau_syn_I=5,
                                 tau_refrac=2)
    pop = sim.Population(2, cell)
    sim.Population(1, sim.HXNeuron(leak_v_leak=555))    # a raw circuit beside them: chip neuron 2
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 25.0]))
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=400))  # 7 synapses
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=20))
    pop.record("spikes")
    sim.run(50.0)
    config = compile_network(sim.simulator.state).config
    result = sim.simulator.state.calibration_result
    assert config.synapses.weights[0, :, 0].sum() == 400 and config.synapses.weights[0, :, 1].sum() == 20
    calibrated = result.apply(ChipConfiguration())
    assert config.neurons.leak_v_leak[:2].tolist() == calibrated.neurons.leak_v_leak[:2].tolist()
    assert config.neurons.leak_v_leak[2] == 555
    counts = [len(st) for st in pop.get_data().segments[0].spiketrains]
    assert counts[0] == 2 and counts[1] == 0  # the strong input fires its neuron twice, the weak one never
    sim.end()


def test_poisson_sources_are_drawn_on_the_host_and_seeded():
    def counts(seed):
        sim.setup(timestep=0.1, chip=BypassChip(), seed=seed)
        src = sim.Population(10, sim.SpikeSourcePoisson(rate=100.0, start=100.0, duration=500.0))
        src.record("spikes")
        sim.run(1000.0)
        trains = src.get_data().segments[0].spiketrains
        sim.end()
        return np.array([len(st) for st in trains]), np.concatenate([st.magnitude for st in trains])

    a, times = counts(1)
    b, _ = counts(1)
    c, _ = counts(2)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert 400 <= a.sum() <= 600  # 10 x 100 Hz x 0.5 s
    assert times.min() >= 100.0 and times.max() < 600.0


def test_homeostasis_kernel_on_the_emulator_lowers_the_weights_of_a_busy_neuron():
    """The PPU kernel runs on the emulator; proj.get('weight') returns what it left."""
    sim.setup(timestep=0.1, ideal=True, seed=4)
    rule = sim.PlasticityRule(
        kernel="homeostasis", timer=sim.Timer(start=20.0, period=20.0, num_periods=4),
        parameters=lambda rows, columns: {"target": 1, "step": 4, "reset": 1, "rows": rows[0]})
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[list(np.arange(1.0, 100.0, 1.0))] * 4))
    post = sim.Population(1, sim.HXNeuron(leak_v_leak=400, leak_i_bias=300, threshold_v_threshold=450,
                                          threshold_enable=True, reset_v_reset=380, reset_i_bias=1000,
                                          refractory_period_refractory_time=20,
                                          excitatory_input_enable=True, excitatory_input_i_bias_tau=60))
    proj = sim.Projection(src, post, sim.AllToAllConnector(), sim.PlasticSynapse(weight=60, plasticity_rule=rule))
    post.record("spikes")
    sim.run(100.0)
    spikes = len(post.get_data().segments[0].spiketrains[0])
    weights = proj.get("weight", format="array")[:, 0]
    assert spikes > 8  # busier than the target of 1 spike per 20 ms period ...
    assert np.all(weights < 60) and np.all(weights == weights[0])  # ... so every weight went down
    assert rule.cycles_per_call["homeostasis"] > 0
    sim.reset()
    assert (proj.get("weight", format="array") == 60).all()
    sim.end()


def test_batch_trials_are_independent_and_equal_single_runs():
    cell = dict(tau_m=10.0, tau_syn_E=5.0, tau_syn_I=5.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                tau_refrac=2.0)  # the agreement tests' parameters: a cached calibration
    trials = [[[1.0, 2.0, 3.0], [2.5]], [[], [1.0, 1.5, 2.0, 2.5, 3.0]], [[4.0], []]]

    def network():
        sim.setup(timestep=0.1, ideal=True, seed=3, progress=False)
        src = sim.Population(2, sim.SpikeSourceArray())
        post = sim.Population(3, sim.IF_curr_exp(**cell))
        sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0))
        return src, post

    src, batch_post = network()
    batch = sim.run_batch(20.0, inputs={src: trials})
    sim.end()
    single = []
    for trial in trials:
        src, post = network()
        src.set(spike_times=[sim.Sequence(t) for t in trial])
        post.record("spikes")
        sim.run(20.0)
        single.append([st.magnitude.tolist() for st in post.get_data().segments[0].spiketrains])
        sim.end()
    assert [[t.tolist() for t in trial] for trial in batch.spike_times(batch_post)] == single
    counts = batch.spike_counts(batch_post)[:, 0]
    assert counts[0] > 0 and counts[1] > 0 and counts[2] == 0  # trial 3's single input spike is too weak


def test_views_as_pre_and_post(chip):
    src = sim.Population(3, sim.SpikeSourceArray(spike_times=[[1.0], [2.0], [3.0]]))
    post = sim.Population(4, sim.HXNeuron())
    sim.Projection(src[1:3], post[[0, 3]], sim.OneToOneConnector(), sim.StaticSynapse(weight=5))
    post.record("spikes")
    sim.run(5.0)
    assert [st.magnitude.tolist() for st in post.get_data().segments[0].spiketrains] == [[2.5], [], [], [3.5]]


def test_an_unchanged_network_reuses_its_layout_and_any_change_lays_it_out_anew(chip):
    """Runs of an unchanged network (inference of a trained one) share one remembered
    layout, which is read-only; a changed weight is laid out anew, and setting the same
    values again finds the remembered layout."""
    src, post, proj = _network()
    sim.run(1.0)
    sim.run(1.0)
    first, second = (call[0].synapses for call in chip.calls)
    assert first is second
    with pytest.raises(ValueError, match="read-only"):
        first.weights[0, 0, 0] = 5
    new_weights = np.array([[20.0, 0, 0], [0, 30.0, 0]])
    proj.set(weight=new_weights)
    sim.run(1.0)
    third = chip.calls[2][0].synapses
    assert third is not first and sorted(third.weights[third.weights > 0].tolist()) == [20, 30]
    proj.set(weight=new_weights.copy())
    sim.run(1.0)
    assert chip.calls[3][0].synapses is third
