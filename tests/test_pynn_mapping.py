"""The chip mapping (bss2_experiments.pynn.mapping) checked on its output, and every
mapping error, both directly and through PyNN's run()."""
import numpy as np
import pytest

import bss2_experiments.pynn as sim
from bss2_experiments.pynn.mapping import (
    INPUT_LABEL_OFFSET, MAX_INPUTS, Connections, MappingError, map_network, place,
)
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
