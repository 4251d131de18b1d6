"""bss2_experiments.backends: names, the peer quirks it hides, the hardware adapter."""
import sys
import types

import numpy as np
import pytest

from bss2_experiments import backends


def _psp_peak(sim, tau_m, tau_syn):
    sim.setup(timestep=0.1, ideal=True, chip_id=3, calibration=None)  # chip-only options are ignored
    p = sim.Population(1, sim.IF_curr_exp(tau_m=tau_m, tau_syn_E=tau_syn, v_thresh=-40.0))
    s = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    sim.Projection(s, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0))
    p.record("v")
    sim.run(30.0)
    peak = float(p.get_data().segments[0].analogsignals[0].max()) + 65.0
    sim.reset()  # NEST needs t_flush for this; the wrapper provides it
    sim.run(30.0)
    segments = p.get_data().segments
    sim.end()
    return peak, len(segments)


def test_unknown_backend_names_the_choices():
    with pytest.raises(ValueError, match="emulator, nest, brian2, hardware"):
        backends.load("spinnaker")


def test_emulator_is_the_pynn_package():
    import bss2_experiments.pynn
    assert backends.load("emulator") is bss2_experiments.pynn
    assert backends.load() is bss2_experiments.pynn


def test_nest_reset_works_without_t_flush_in_the_script():
    peak, n_segments = _psp_peak(backends.load("nest"), 5.0, 5.0)
    assert n_segments == 2
    assert peak == pytest.approx(1.0 * 5.0 / np.e, rel=1e-3)  # J tau / e for tau_m == tau_syn, cm = 1


@pytest.mark.slow
def test_brian2_equal_time_constants_do_not_divide_by_zero():
    peak, n_segments = _psp_peak(backends.load("brian2"), 5.0, 5.0)
    assert n_segments == 2
    assert peak == pytest.approx(1.0 * 5.0 / np.e, rel=1e-3)


def test_brian2_translation_stretches_tau_syn_only_slightly():
    sim = backends.load("brian2")
    cell = sim.IF_curr_exp(tau_m=5.0, tau_syn_E=5.0, tau_syn_I=5.0)
    native = cell.native_parameters
    native.shape = (1,)
    native.evaluate(simplify=True)
    tau_syn, tau_m = float(native["tau_syn_e"]), float(native["tau_m"])
    assert tau_syn != tau_m
    assert tau_syn == pytest.approx(tau_m, rel=1e-6)


def test_hardware_backend_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynn_brainscales", None)
    with pytest.raises(ImportError, match="pynn_brainscales.*EBRAINS"):
        backends.load("hardware")


def test_hardware_adapter_converts_biological_to_hardware_ms(monkeypatch):
    calls = {}
    fake = types.ModuleType("pynn_brainscales.brainscales2")
    fake.run = lambda t: calls.setdefault("run", t)
    fake.get_current_time = lambda: 0.2  # hardware ms
    fake.cells = types.SimpleNamespace(SpikeSourceArray=lambda spike_times: spike_times)
    package = types.ModuleType("pynn_brainscales")
    package.brainscales2 = fake
    monkeypatch.setitem(sys.modules, "pynn_brainscales", package)
    monkeypatch.setitem(sys.modules, "pynn_brainscales.brainscales2", fake)
    hw = backends.load("hardware")
    assert hw.run(200.0) == pytest.approx(200.0)  # returns the fake's 0.2 hardware ms, converted back
    assert calls["run"] == pytest.approx(0.2)  # 200 biological ms = 200 us = 0.2 hardware ms
    assert hw.get_current_time() == pytest.approx(200.0)
    assert np.allclose(hw.SpikeSourceArray(spike_times=[10.0, 20.0]), [0.01, 0.02])


def test_peer_run_batch_modes_agree_for_isolated_trials():
    sim = backends.load("nest")
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray())
    out = sim.Population(1, sim.IF_curr_exp(tau_refrac=1.0))
    sim.Projection(src, out, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0))
    trials = [[[2.0, 3.0], [4.0]], [[], []], [[1.0], [1.5, 2.0, 2.5]]]
    independent = sim.run_batch(20.0, {src: trials}, outputs=[out]).spike_counts(out)
    sim.end()
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray())
    out = sim.Population(1, sim.IF_curr_exp(tau_refrac=1.0))
    sim.Projection(src, out, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0))
    back_to_back = sim.run_batch(20.0, {src: trials}, outputs=[out], independent=False).spike_counts(out)
    sim.end()
    assert independent[:, 0].tolist() == back_to_back[:, 0].tolist()
    assert independent[1, 0] == 0 and independent[0, 0] > 0 and independent[2, 0] > 0


def test_nest_run_batch_can_be_called_again_on_the_same_network():
    """pyNN.nest cannot add spike recorders after a run: a second batch reuses them, and
    plays its trials from the current time (100 ms trials: the membranes relax in between)."""
    sim = backends.load("nest")
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray())
    out = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0))
    trials = [[[1.0, 2.0], [3.0]], [[1.0], [2.0]]]
    first = sim.run_batch(100.0, {src: trials}, outputs=[out], independent=False).spike_counts(out)
    second = sim.run_batch(100.0, {src: trials}, outputs=[out], independent=False).spike_counts(out)
    sim.end()
    assert first.tolist() == second.tolist() == [[2, 1], [1, 1]]


def _nest_poisson_spikes(sim, seed):
    sim.setup(timestep=0.1, seed=seed)
    src = sim.Population(5, sim.SpikeSourcePoisson(rate=200.0))
    src.record("spikes")
    sim.run(100.0)
    trains = src.get_data().segments[0].spiketrains
    sim.end()
    return [np.asarray(st.magnitude) for st in trains]


def test_nest_accepts_seed_zero_and_keeps_seeds_apart():
    assert backends.nest_rng_seed(0) == 1 and backends.nest_rng_seed(41) == 42
    with pytest.raises(ValueError, match="seed -1 out of range for NEST: use 0 .. 4294967294"):
        backends.nest_rng_seed(-1)
    sim = backends.load("nest")
    zero, again, one = (_nest_poisson_spikes(sim, s) for s in (0, 0, 1))
    assert sum(t.size for t in zero) > 50  # 5 x 200 Hz x 0.1 s = 100 expected
    assert all(np.array_equal(a, b) for a, b in zip(zero, again))
    assert not all(np.array_equal(a, b) for a, b in zip(zero, one))
