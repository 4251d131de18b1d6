"""The chip mapping (bss2_experiments.pynn.mapping) checked on its output, and every
mapping error, both directly and through PyNN's run()."""
import numpy as np
import pytest

import bss2_experiments.pynn as sim
from bss2_experiments.pynn.mapping import (
    INPUT_LABEL_OFFSET, MAX_INPUTS, UNCONNECTED_LABEL, Connections, LabelPool, MappingError, map_network,
    network_fingerprint, place,
)
from bss2_experiments.pynn.projections import LabelPoolConnector
from emulator.interface import ChipConfiguration, RowMode


def _all_to_all(n_pre, posts, weight, **kw):
    posts = np.asarray(posts)
    pre = np.repeat(np.arange(n_pre), posts.size)
    post = np.tile(posts, n_pre)
    return Connections(pre, post, np.full(pre.size, weight), **kw)


def _synapses_of(m, label):
    """(hemisphere, row, column, weight) of every synapse reached by events of ``label``."""
    r = m.routing
    out = []
    for src, h, row, syn in zip(r.source_label, r.hemisphere, r.row, r.synapse_label):
        if src == label:
            cols = np.flatnonzero((m.synapses.labels[h, row] == syn) & (m.synapses.weights[h, row] > 0))
            out += [(h, row, c, int(m.synapses.weights[h, row, c])) for c in cols]
    return out


def test_placement_default_and_permutation():
    assert place(3).tolist() == [0, 1, 2]
    assert place(3, [511, 7, 300, 4]).tolist() == [511, 7, 300]
    m = map_network(2, 1, [Connections(np.array([0, 0]), np.array([0, 1]), np.array([10, 20]), from_inputs=True)],
                    permutation=[300, 5])
    syn = sorted(_synapses_of(m, INPUT_LABEL_OFFSET))
    assert syn == [(0, 0, 5, 20), (1, 0, 300 - 256, 10)]


@pytest.mark.parametrize("perm, message", [([0, 0], "more than once"), ([0, 512], "0..511"), ([3], "has 1 entries")])
def test_bad_permutation(perm, message):
    with pytest.raises(MappingError, match=message):
        place(2, perm)


def test_too_many_neurons_names_limit_and_count():
    with pytest.raises(MappingError, match=r"513 neurons; one chip has 512"):
        place(513)


def test_too_many_inputs_names_label_limit():
    with pytest.raises(MappingError, match=rf"{MAX_INPUTS + 1} external inputs.*{MAX_INPUTS}"):
        map_network(1, MAX_INPUTS + 1, [])


def test_rows_per_hemisphere_limit_names_count():
    # 257 sources, each to every column of hemisphere 0: one row each
    with pytest.raises(MappingError, match=r"hemisphere 0 needs 257 synapse rows \(257 excitatory, 0 inhibitory\); it has 256"):
        map_network(256, 257, [_all_to_all(257, np.arange(256), 5, from_inputs=True)])
    # the same 257 sources fit when each reaches only half the columns: two share a row
    a = _all_to_all(129, np.arange(128), 5, from_inputs=True)
    b = Connections(a.pre + 129, a.post + 128, a.weight, from_inputs=True)
    m = map_network(256, 258, [a, b])
    assert m.rows_used.tolist() == [129, 0]


def test_full_chip_all_to_all_fits_exactly():
    m = map_network(512, 256, [_all_to_all(256, np.arange(512), 7, from_inputs=True)])
    assert m.rows_used.tolist() == [256, 256]
    assert (m.synapses.weights == 7).all()
    assert (m.synapses.row_modes == RowMode.EXCITATORY).all()
    assert len(m.routing) == 512


def test_signed_weights_use_rows_of_their_sign():
    exc = Connections(np.array([0]), np.array([1]), np.array([10]), inhibitory=False, from_inputs=True)
    inh = Connections(np.array([0]), np.array([1]), np.array([20]), inhibitory=True, from_inputs=True)
    m = map_network(2, 1, [exc, inh])
    syn = _synapses_of(m, INPUT_LABEL_OFFSET)
    modes = {w: m.synapses.row_modes[h, row] for h, row, c, w in syn}
    assert modes == {10: RowMode.EXCITATORY, 20: RowMode.INHIBITORY}
    assert m.rows_used.tolist() == [2, 0]


def test_large_weight_spread_over_ceil_w_over_63_synapses():
    m = map_network(1, 1, [Connections(np.array([0]), np.array([0]), np.array([130]), from_inputs=True)])
    syn = _synapses_of(m, INPUT_LABEL_OFFSET)
    assert len(syn) == 3  # ceil(130 / 63)
    assert sorted(w for *_, w in syn) == [43, 43, 44]
    assert len({row for _, row, _, _ in syn}) == 3  # one column, three rows
    assert {c for _, _, c, _ in syn} == {0}


def test_sources_with_disjoint_columns_share_rows_up_to_64_labels():
    n = 65
    block = Connections(np.arange(n), np.arange(n), np.full(n, 9), from_inputs=True)  # one-to-one
    m = map_network(n, n, [block])
    assert m.rows_used.tolist() == [2, 0]
    labels = m.synapses.labels[0, :2]
    assert len(set(labels[0, :64].tolist())) == 64
    for j in range(n):
        assert [(c, w) for _, _, c, w in _synapses_of(m, INPUT_LABEL_OFFSET + j)] == [(j, 9)]


def test_repeated_static_connections_add_up_and_recurrent_labels_are_neuron_indices():
    block = Connections(np.array([0, 0]), np.array([1, 1]), np.array([30, 40]))  # neuron 0 -> neuron 1 twice
    m = map_network(2, 0, [block], permutation=[10, 11])
    syn = _synapses_of(m, 10)  # neurons send their chip index
    assert sum(w for *_, w in syn) == 70 and {c for _, _, c, _ in syn} == {11}
    assert set(m.routing.source_label.tolist()) == {10}


def test_keyed_blocks_read_back_per_connection():
    block = Connections(np.array([0, 1, 0]), np.array([0, 0, 1]), np.array([100, 5, 63]), from_inputs=True, key=7)
    m = map_network(2, 2, [block])
    assert m.read_weights(7, m.synapses.weights).tolist() == [100, 5, 63]
    changed = m.synapses.weights.copy()
    changed[changed == 5] = 12
    assert m.read_weights(7, changed).tolist() == [100, 12, 63]


def test_configure_silences_unplaced_neurons():
    m = map_network(2, 0, [], permutation=[3, 4])
    base = ChipConfiguration()
    base.neurons.threshold_enable[:] = True
    base.neurons.excitatory_input_enable[:] = True
    cfg = m.configure(base)
    n = cfg.neurons
    assert n.threshold_enable[[3, 4]].all() and n.threshold_enable.sum() == 2
    assert n.excitatory_input_enable.sum() == 2 and n.event_output_enable.sum() <= 2
    assert base.neurons.threshold_enable.all()  # the base is not modified


def test_stimulus_labels_and_order():
    m = map_network(1, 2, [])
    st = m.stimulus([[np.array([3.0, 1.0]), np.array([2.0])], [np.array([]), np.array([0.5])]])
    st.validate()
    assert st.n_trials == 2
    assert st.time_us.tolist() == [1.0, 2.0, 3.0, 0.5]
    assert st.label.tolist() == [INPUT_LABEL_OFFSET, INPUT_LABEL_OFFSET + 1, INPUT_LABEL_OFFSET, INPUT_LABEL_OFFSET + 1]


def test_stimulus_array_equals_the_list_form():
    m = map_network(1, 2, [])
    times = np.array([[[3.0, 1.0], [2.0, np.nan]], [[np.inf, np.nan], [0.5, np.nan]]])
    st = m.stimulus_array(times)
    st.validate()
    lists = m.stimulus([[np.array([3.0, 1.0]), np.array([2.0])], [np.array([]), np.array([0.5])]])
    for field in ("trial", "time_us", "label"):
        assert getattr(st, field).tolist() == getattr(lists, field).tolist()
    with pytest.raises(MappingError, match=r"needs \(n_trials, 2, spikes_per_input\)"):
        m.stimulus_array(np.zeros((2, 3, 1)))


def test_all_zero_weights_map_to_an_empty_array():
    block = Connections(np.arange(3), np.zeros(3, int), np.zeros(3, int), from_inputs=True)
    m = map_network(2, 3, [block, Connections(np.zeros(1, int), np.ones(1, int), np.zeros(1, int))])
    assert m.rows_used.tolist() == [0, 0] and len(m.routing) == 0 and not m.synapses.weights.any()


# -- label pools (structural plasticity) ---------------------------------------------------

def _pool_block(n_sources, posts, fan_in, key, rng, first_input=0, owner=None, weight=7):
    """``fan_in`` distinct random sources of a pool of ``n_sources`` inputs (from
    ``first_input``) onto each of ``posts``."""
    index = np.concatenate([rng.choice(n_sources, fan_in, replace=False) for _ in posts])
    post = np.repeat(posts, fan_in)
    return Connections(first_input + index, post, np.full(index.size, weight), from_inputs=True, key=key,
                       pool=LabelPool(n_sources, index, owner))


def test_label_pool_layout_routing_and_read_back():
    rng = np.random.default_rng(0)
    a = _pool_block(10, np.arange(4), 2, key=0, rng=rng, first_input=3, owner="a")
    b = _pool_block(10, np.arange(4, 6), 5, key=1, rng=rng, first_input=3, owner="b", weight=0)
    static = Connections(np.array([0, 1]), np.array([0, 5]), np.array([130, 20]), from_inputs=True)
    m = map_network(6, 13, [a, static, b])
    # the pool takes the first 5 rows (the largest fan-in), shared by both blocks; static slots follow
    assert m.rows_used.tolist() == [5 + 3, 0]
    labels, weights = m.synapses.labels[0], m.synapses.weights[0]
    np.testing.assert_array_equal((labels[:5, :6] < 10).sum(0), [2, 2, 2, 2, 5, 5])   # fan-in per target
    assert (labels[:5, 6:] == UNCONNECTED_LABEL).all() and not weights[:5, 6:].any()
    assert (labels[2:5, :4] == UNCONNECTED_LABEL).all()                                # free synapses
    # every pool source reaches every pool row with its pool label; the static inputs do not
    r = m.routing
    pool_entries = {(int(s), int(row), int(lab)) for s, row, lab in zip(r.source_label, r.row, r.synapse_label)
                    if row < 5}
    assert pool_entries == {(INPUT_LABEL_OFFSET + 3 + i, row, i) for i in range(10) for row in range(5)}
    # a synapse listens to the source its label names: connection c's synapse holds index[c]
    np.testing.assert_array_equal(m.read_pool_labels(0, m.synapses.labels), a.pool.index)
    np.testing.assert_array_equal(m.read_pool_labels(1, m.synapses.labels), b.pool.index)
    np.testing.assert_array_equal(m.read_weights(1, m.synapses.weights), 0)          # zero weights stay connected
    assert m.pool_key("b") == 1
    # rewire: a kernel rewrites a label (and a weight); disconnecting shows as -1
    loc = m.locations[0]
    rewired, w = m.synapses.labels.copy(), m.synapses.weights.copy()
    rewired[loc.hemisphere[1], loc.row[1], loc.column[1]] = 9
    w[loc.hemisphere[1], loc.row[1], loc.column[1]] = 40
    rewired[loc.hemisphere[2], loc.row[2], loc.column[2]] = UNCONNECTED_LABEL
    expected = a.pool.index.copy()
    expected[1], expected[2] = 9, -1
    np.testing.assert_array_equal(m.read_pool_labels(0, rewired), expected)
    assert m.read_weights(0, w)[1] == 40


def test_label_pools_of_different_sources_or_signs_get_their_own_rows():
    rng = np.random.default_rng(1)
    a = _pool_block(8, np.arange(3), 3, key=0, rng=rng)
    b = _pool_block(8, np.arange(3), 2, key=1, rng=rng, first_input=8)              # another pool
    c = Connections(a.pre, a.post, a.weight, inhibitory=True, from_inputs=True, key=2, pool=a.pool)
    m = map_network(3, 16, [a, b, c], permutation=[254, 255, 256])
    # targets 254, 255 (hemisphere 0) and 256 (hemisphere 1): each hemisphere has its own pool rows
    assert m.rows_used.tolist() == [3 + 2 + 3, 3 + 2 + 3]
    assert (m.synapses.row_modes[0, :5] == RowMode.EXCITATORY).all()
    assert (m.synapses.row_modes[0, 5:8] == RowMode.INHIBITORY).all()
    for key, block in ((0, a), (1, b), (2, c)):
        np.testing.assert_array_equal(m.read_pool_labels(key, m.synapses.labels), block.pool.index)
        assert set(m.locations[key].hemisphere.tolist()) == {0, 1}


@pytest.mark.parametrize("change, message", [
    (dict(key=None), "needs a keyed block"),
    (dict(pool=LabelPool(64, np.zeros(2, int))), "64 sources: a pool holds 1..63"),
    (dict(weight=np.array([10, 64])), "weights must be integers 0..63"),
    (dict(pool=LabelPool(5, np.array([0, 5]))), r"pool labels must lie in 0..4"),
    (dict(pool=LabelPool(5, np.array([0, 0]))), "must be consecutive"),
    (dict(pool=LabelPool(5, np.array([0]))), "1 pool labels for 2 connections"),
    (dict(pre=np.array([8, 9])), "exceed the network's 10 inputs"),
])
def test_label_pool_errors_name_the_fix(change, message):
    base = dict(pre=np.array([0, 1]), post=np.array([0, 0]), weight=np.array([10, 10]), from_inputs=True, key=0,
                pool=LabelPool(5, np.array([0, 1])))
    with pytest.raises(MappingError, match=message):
        map_network(1, 10, [Connections(**{**base, **change})])


# -- the same errors through PyNN (HXNeuron: no calibration needed) ----------------------

@pytest.fixture
def hx_session():
    sim.setup(timestep=0.1, ideal=True, seed=1)
    yield sim
    sim.end()


def test_pynn_too_many_neurons_fails_at_run(hx_session):
    sim.Population(300, sim.HXNeuron())
    sim.Population(213, sim.HXNeuron())
    with pytest.raises(MappingError, match="513 neurons; one chip has 512"):
        sim.run(1.0)


def test_pynn_rows_limit_fails_at_run(hx_session):
    post = sim.Population(256, sim.HXNeuron())
    src = sim.Population(257, sim.SpikeSourceArray(spike_times=[1.0]))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=10))
    with pytest.raises(MappingError, match="hemisphere 0 needs 257 synapse rows"):
        sim.run(1.0)


def test_pynn_delay_other_than_minimum_is_an_error(hx_session):
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(1, sim.HXNeuron())
    with pytest.raises(sim.errors.ConnectionError, match="no delays"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=5, delay=1.0))
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=5, delay=sim.get_min_delay()))


def test_pynn_madc_limit(hx_session):
    pop = sim.Population(4, sim.HXNeuron())
    pop[0:3].record("v")  # chip neurons 0, 1, 2: two even ones
    with pytest.raises(MappingError, match="one even and one odd"):
        sim.run(1.0)


def test_pynn_unknown_record_device(hx_session):
    pop = sim.Population(1, sim.HXNeuron())
    with pytest.raises(ValueError, match="device 'pad_0' is not supported"):
        pop.record("v", device="pad_0")


def test_pynn_cuba_and_coba_populations_do_not_mix(hx_session):
    sim.Population(1, sim.IF_curr_exp())
    sim.Population(1, sim.IF_cond_exp())
    with pytest.raises(NotImplementedError, match="COBA for all neurons of a chip or for none"):
        sim.run(1.0)


def test_pynn_weights_map_to_chip(hx_session):
    """HXNeuron weights are hardware integers: check the configuration the chip gets."""
    from bss2_experiments.pynn.configure import compile_network
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(3, sim.HXNeuron())
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=100))
    sim.Projection(src, post[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=-20), receptor_type="inhibitory")
    compiled = compile_network(sim.simulator.state)
    syn = compiled.config.synapses
    exc_rows = syn.row_modes[0] == RowMode.EXCITATORY
    inh_rows = syn.row_modes[0] == RowMode.INHIBITORY
    assert syn.weights[0][exc_rows][:, :3].sum() == 2 * 3 * 100
    assert syn.weights[0][inh_rows][:, :3].sum() == 2 * 20
    assert syn.weights[0][:, 3:].sum() == 0


# -- label pools through PyNN ------------------------------------------------------------

def _pool_network(fan_in=3, **rule_parameters):
    """20 inputs as a pool onto 4 HXNeurons (fan-in 3) plus a static input onto the same
    neurons; the structural kernel rewires every synapse (threshold 63) at each call."""
    src = sim.Population(20, sim.SpikeSourceArray(spike_times=[1.0, 3.0]))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0]))
    post = sim.Population(4, sim.HXNeuron())
    params = dict(label_count=20, prune_period=1, prune_threshold=63, noise=0, factor=0, step=0,
                  initial_weight=5) | rule_parameters
    rule = sim.PlasticityRule("structural", sim.Timer(40.0, 40.0, 2),
                              parameters=lambda rows, columns: dict(params, rows=np.flatnonzero(rows[0])))
    proj = sim.Projection(src, post, LabelPoolConnector(fan_in, rng=sim.NumpyRNG(3)),
                          sim.PlasticSynapse(weight=10, plasticity_rule=rule))
    static = sim.Projection(teacher, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=50))
    return proj, static, rule


def _listed(proj):
    return np.asarray(proj.get("weight", format="list", with_address=True), dtype=float).reshape(-1, 3)


def test_pynn_label_pool_connector_draws_fan_in_distinct_sources(hx_session):
    proj, _, _ = _pool_network(fan_in=5)
    c = _listed(proj)
    assert np.bincount(c[:, 1].astype(int)).tolist() == [5, 5, 5, 5]
    for j in range(4):
        assert np.unique(c[c[:, 1] == j, 0]).size == 5
    assert proj.pooled and proj.label_pool.size == 20


def test_pynn_label_pool_is_rewired_by_the_kernel_and_reset_restores_it(hx_session):
    proj, static, rule = _pool_network()
    before = _listed(proj)
    sim.run(100.0)
    after = _listed(proj)
    compiled, result = sim.simulator.state.last_run
    # the kernel ran on the pool's rows only (3 = the fan-in), not on the static input's row
    assert np.flatnonzero(rule.rows[0]).tolist() == [0, 1, 2]
    static_row = np.flatnonzero(compiled.config.synapses.weights[0, :, 0] == 50)
    assert static_row.tolist() == [3] and result.plasticity.weights[0, 0, 3, :4].tolist() == [50] * 4
    # every synapse was pruned (threshold 63) and rewired: new sources at the initial weight, same fan-in
    np.testing.assert_array_equal(after[:, 1], before[:, 1])
    np.testing.assert_array_equal(after[:, 2], 5)
    assert (after[:, 0] != before[:, 0]).mean() > 0.7
    assert np.all((after[:, 0] >= 0) & (after[:, 0] < 20))
    labels = result.plasticity.labels[0, 0, :3, :4]
    np.testing.assert_array_equal(np.sort(labels, axis=0), np.sort(after[:, 0].reshape(4, 3).T, axis=0))
    assert static.get("weight", format="list")[0][2] == 50
    # the next run starts from the rewired connections
    sim.run(100.0)
    assert not np.array_equal(_listed(proj)[:, 0], after[:, 0])
    sim.reset()
    np.testing.assert_array_equal(_listed(proj), before)


def test_pynn_rule_disabled_runs_batched_without_the_kernel(hx_session):
    proj, _, rule = _pool_network()
    before = _listed(proj)
    with rule.disabled():
        result = sim.run_batch(50.0, {proj.pre: np.full((3, 20, 1), 1.0)})
    assert result.run.plasticity is None and rule in sim.simulator.state.plasticity_rules
    np.testing.assert_array_equal(_listed(proj), before)
    sim.run(50.0)
    assert sim.simulator.state.last_run[1].plasticity is not None


@pytest.mark.parametrize("make, message", [
    (lambda src, post, rule: sim.Projection(src, post, LabelPoolConnector(2), sim.StaticSynapse(weight=5)),
     "needs a PlasticSynapse with a plasticity_rule"),
    (lambda src, post, rule: sim.Projection(src, post, LabelPoolConnector(21),
                                            sim.PlasticSynapse(weight=5, plasticity_rule=rule)),
     r"has only 20 sources; choose fan_in <= 20"),
    (lambda src, post, rule: sim.Projection(sim.Population(64, sim.SpikeSourceArray()), post, LabelPoolConnector(2),
                                            sim.PlasticSynapse(weight=5, plasticity_rule=rule)),
     "at most 63"),
    (lambda src, post, rule: sim.Projection(src + src, post, LabelPoolConnector(2),
                                            sim.PlasticSynapse(weight=5, plasticity_rule=rule)),
     "one population"),
    (lambda src, post, rule: LabelPoolConnector(0), "positive integer"),
])
def test_pynn_label_pool_errors(hx_session, make, message):
    src = sim.Population(20, sim.SpikeSourceArray())
    post = sim.Population(2, sim.HXNeuron())
    rule = sim.PlasticityRule("structural", sim.Timer(40.0, 40.0, 1))
    with pytest.raises((sim.errors.ConnectionError, ValueError), match=message):
        make(src, post, rule)


def test_pynn_pooled_weight_above_63_fails_at_run(hx_session):
    proj, _, _ = _pool_network()
    proj.set(weight=70)
    with pytest.raises(MappingError, match="one synapse: weights must be integers 0..63"):
        sim.run(10.0)


def test_network_fingerprint_follows_the_contents_not_the_objects():
    block = _all_to_all(3, [0, 1], 10, from_inputs=True)
    same = Connections(block.pre.copy(), block.post.copy(), block.weight.copy(), from_inputs=True)
    assert network_fingerprint(2, 3, [block]) == network_fingerprint(2, 3, [same])
    heavier = Connections(block.pre, block.post, np.where(np.arange(6) == 4, 11, 10), from_inputs=True)
    assert network_fingerprint(2, 3, [block]) != network_fingerprint(2, 3, [heavier])
    assert network_fingerprint(2, 3, [block]) != network_fingerprint(2, 3, [block], permutation=[1, 0])
    inhibitory = Connections(block.pre, block.post, block.weight, inhibitory=True, from_inputs=True)
    assert network_fingerprint(2, 3, [block]) != network_fingerprint(2, 3, [inhibitory])
    owners = object(), object()
    pooled = [Connections(block.pre, block.post, block.weight, from_inputs=True, key=0,
                          pool=LabelPool(3, block.pre, owner)) for owner in owners]
    assert network_fingerprint(2, 3, pooled[:1]) != network_fingerprint(2, 3, pooled[1:])
