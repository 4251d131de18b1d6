"""The lab-chip adapter (backends.load("hardware")) against a fake pynn_brainscales.brainscales2
that records every call (the real package needs the BrainScaleS-2 stack and a chip).

The fake mirrors the real module's surface as read in electronicvisions/pynn-brainscales
(fd4f926): cell types under ``cells``, ``synapses.StaticSynapse``, ``Timer(start=, period=,
num_periods=)``, ``PlasticityRule``, ``setup()`` raising KeyError for unknown options,
``simulator.state.recorders``; times in hardware ms. Its "chip" answers every input spike
of a run with a spike of output neuron 0, 2 hardware us later.
"""
import sys
import types

import neo
import numpy as np
import pytest
import quantities as pq

from bss2_experiments import backends

SETUP_OPTIONS = {"neuronPermutation", "backgroundPermutation", "enable_neuron_bypass", "initial_config",
                 "injected_config", "injected_readout", "calibration_cache", "injected_calib_target",
                 "injected_calib_options", "connection", "max_delay"}
DELAY_HW_MS = 0.002


class FakeRecorder:
    def __init__(self, population, recorded):
        self.population, self.recorded = population, recorded


class FakePopulation:
    def __init__(self, size, celltype, state):
        self.size, self.celltype, self.state = size, celltype, state
        self.spike_times = [np.array([])] * size
        self.spikes = [[] for _ in range(size)]

    def set(self, spike_times):
        self.spike_times = [np.asarray(s.value, float) for s in spike_times]

    def record(self, what):
        self.state.recorders.add(FakeRecorder(self, {what: set(range(self.size))}))

    def get_data(self, what, clear=False):
        segment = neo.Segment()
        for i in range(self.size):
            st = neo.SpikeTrain(np.asarray(self.spikes[i]) * pq.ms, t_stop=1e6 * pq.ms)
            st.annotations["source_index"] = i
            segment.spiketrains.append(st)
        block = neo.Block()
        block.segments.append(segment)
        if clear:
            self.spikes = [[] for _ in range(self.size)]
        return block


@pytest.fixture
def fake(monkeypatch):
    calls = []
    m = types.ModuleType("pynn_brainscales.brainscales2")
    m.simulator = types.SimpleNamespace(state=types.SimpleNamespace(recorders=set()))
    pops = []

    def record(name):
        return lambda *a, **k: calls.append((name, a, k)) or (name, k)

    def setup(timestep=3.4e-5, min_delay="auto", **extra):
        unknown = set(extra) - SETUP_OPTIONS
        if unknown:
            raise KeyError(f"unhandled extra_params in call to pynn.setup(...):{unknown}")
        calls.append(("setup", (), {"min_delay": min_delay, **extra}))

    clock = {"t_hw_ms": 0.0}

    def run(t_hw_ms):
        calls.append(("run", (t_hw_ms,), {}))
        clock["t_hw_ms"] += t_hw_ms
        sources = [p for p in pops if p.celltype[0] == "SpikeSourceArray"]
        outputs = [p for p in pops if p.celltype[0] != "SpikeSourceArray"]
        for src in sources:
            for train in src.spike_times:
                outputs[0].spikes[0].extend(np.asarray(train) + DELAY_HW_MS)
        return t_hw_ms

    def population(size, celltype):
        pop = FakePopulation(size, celltype, m.simulator.state)
        pops.append(pop)
        return pop

    m.setup, m.run, m.Population = setup, run, population
    m.get_current_time = lambda: clock["t_hw_ms"]
    m.cells = types.SimpleNamespace(**{n: record(n) for n in ("CalibHXNeuronCuba", "CalibHXNeuronCoba",
                                                                 "SpikeSourceArray", "SpikeSourcePoisson")},
                                    HXNeuron="HXNeuron-class")
    m.synapses = types.SimpleNamespace(StaticSynapse=record("StaticSynapse"))
    m.Timer = record("Timer")

    class PlasticityRule:
        def __init__(self, timer, observables=None, same_id=0):
            calls.append(("PlasticityRule", (timer,), {}))
    m.PlasticityRule = PlasticityRule
    package = types.ModuleType("pynn_brainscales")
    package.brainscales2 = m
    monkeypatch.setitem(sys.modules, "pynn_brainscales", package)
    monkeypatch.setitem(sys.modules, "pynn_brainscales.brainscales2", m)
    return backends.load("hardware"), calls


def test_setup_maps_the_emulator_options(fake):
    hw, calls = fake
    # the TTFS forward pass's call, unchanged
    hw.setup(timestep=0.1, chip_id=0, ideal=False, calibration="auto", progress=False, i_synin_gm_exc=800,
             i_synin_gm_inh=700, synapse_dac_bias=1022, seed=3, cache_dir="/tmp/cal", neuronPermutation=[4, 5])
    assert calls[-1] == ("setup", (), {"min_delay": "auto", "calibration_cache": ["/tmp/cal"],
                                       "neuronPermutation": [4, 5]})
    name, params = hw.CalibHXNeuronCuba(v_thresh=120.0, tau_m=6.0, i_synin_gm_I=300)
    assert name == "CalibHXNeuronCuba"
    assert params == {"i_synin_gm_E": 800.0, "i_synin_gm_I": 300, "synapse_dac_bias": 1022.0, "v_thresh": 120.0,
                      "tau_m": 6.0}  # times stay hardware us: the same unit in both packages
    assert hw.HXNeuron == "HXNeuron-class"


@pytest.mark.parametrize("options, message", [
    ({"ideal": True}, "ideal=True.*only in the emulator"),
    ({"chip": object()}, "setup\\(chip=...\\) cannot be mapped"),
    ({"correlation_tau_us": 10.0}, "correlation_tau_us.*CorrelationCalibTarget"),
    ({"calibration": None}, "uncalibrated design values.*HXNeuron"),
    ({"calibration": object()}, "emulated chip's calibration.*calibration='auto'"),
])
def test_setup_names_what_cannot_be_mapped(fake, options, message):
    hw, _ = fake
    with pytest.raises(ValueError, match=message):
        hw.setup(**options)


def test_unknown_options_reach_pynn_brainscales_and_fail_there(fake):
    hw, _ = fake
    with pytest.raises(KeyError, match="unhandled extra_params.*bogus"):
        hw.setup(bogus=1)


def test_sources_synapses_and_timers_convert_to_hardware_units(fake):
    hw, calls = fake
    _, p = hw.SpikeSourcePoisson(rate=20.0, start=100.0, duration=500.0)
    assert p["rate"] == pytest.approx(20e3) and p["start"] == pytest.approx(0.1) and p["duration"] == pytest.approx(0.5)
    _, p = hw.SpikeSourceArray(spike_times=[[1.0, 2.0], [30.0]])
    assert [list(t) for t in p["spike_times"]] == [[0.001, 0.002], [0.03]]
    _, p = hw.StaticSynapse(weight=63)
    assert p == {"weight": 63, "delay": 0.0}
    with pytest.raises(ValueError, match="no delay; use 0"):
        hw.StaticSynapse(weight=1, delay=1.0)
    _, p = hw.Timer(start=5.0, period=10.0, num_periods=3)
    assert p == {"start": pytest.approx(0.005), "period": pytest.approx(0.01), "num_periods": 3}


def test_plasticity_rules_native_pass_suite_kernels_are_named(fake):
    hw, calls = fake

    class Native(hw.PlasticityRule):
        def generate_kernel(self):
            return "// C++"
    Native(timer="t")
    assert calls[-1] == ("PlasticityRule", ("t",), {})
    with pytest.raises(NotImplementedError, match="kernel 'homeostasis'.*no libnux/grenade port.*generate_kernel"):
        hw.PlasticityRule(kernel="homeostasis", timer="t")


def test_missing_features_are_named(fake):
    hw, _ = fake
    with pytest.raises(AttributeError, match="has no 'IF_curr_exp': this backend does not offer"):
        hw.IF_curr_exp


def test_run_batch_plays_trials_back_to_back_in_hardware_time(fake):
    hw, calls = fake
    hw.setup()
    inputs = hw.Population(2, hw.SpikeSourceArray(spike_times=[]))
    out = hw.Population(1, hw.CalibHXNeuronCuba())
    out.record("spikes")
    trials = [[[2.0, 3.0], [4.0]], [[], []], [[1.0], [7.5]]]  # biological ms within each trial
    result = hw.run_batch(10.0, {inputs: trials})
    # one hardware run of 3 trials x (10 + 10 gap) biological ms = 60 us = 0.06 hardware ms
    runs = [c for c in calls if c[0] == "run"]
    assert len(runs) == 1 and runs[0][1][0] == pytest.approx(0.06)
    # the inputs reached the fake chip in hardware ms, trial k shifted by k * 20 biological ms
    assert np.allclose(inputs.spike_times[0], [0.002, 0.003, 0.041])
    # each input spike came back 2 hardware us = 2 biological ms later, split per trial
    spikes = result.spike_times(out)
    assert [list(np.round(t[0], 6)) for t in spikes] == [[4.0, 5.0, 6.0], [], [3.0, 9.5]]
    assert result.spike_counts(out)[:, 0].tolist() == [3, 0, 2]
    with pytest.raises(ValueError, match="same number of trials"):
        hw.run_batch(10.0, {inputs: trials, out: trials[:2]})
    with pytest.raises(ValueError, match="independent=True.*cannot reset its analog state"):
        hw.run_batch(10.0, {inputs: trials}, independent=True)
