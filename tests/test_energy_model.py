"""The emulator energy model: event counting, energies, calibration, power trace."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.energy_model import (DEFAULT_MODEL, PUBLISHED_ENERGY_PER_INFERENCE_JOULE,
                                           PUBLISHED_TIME_PER_INFERENCE_S, REFERENCE_EVENTS, EnergyModel,
                                           count_events, inference_energy, power_trace_watt)
from emulator.interface import (ChipConfiguration, EventRouting, PlasticityOutput, PlasticityProgram, PlasticityTimer,
                                RowMode, RunResult, SpikeRecord, Stimulus)


def counted_setup():
    """Hand-countable configuration, stimulus and result (see the expectations below)."""
    cfg = ChipConfiguration()
    syn, n = cfg.synapses, cfg.neurons
    syn.row_modes[0, 0], syn.row_modes[0, 1], syn.row_modes[1, 2] = RowMode.EXCITATORY, RowMode.DISABLED, RowMode.INHIBITORY
    syn.weights[0, 0, :6], syn.labels[0, 0, :6] = [10, 10, 10, 10, 0, 10], [3, 3, 3, 4, 3, 3]
    syn.weights[0, 1, :10], syn.labels[0, 1, :10] = 10, 3       # disabled row: no events
    syn.weights[1, 2, :2], syn.labels[1, 2, :2] = 5, 0
    n.excitatory_input_enable[:5] = True                         # column 5's input is off
    n.inhibitory_input_enable[[256, 257]] = True
    cfg.routing = EventRouting.from_entries([(7, 0, 0, 3), (7, 0, 1, 3), (5, 1, 2, 0)])
    # label 7: columns 0, 1, 2 (3 hits; 3: label mismatch, 4: weight 0, 5: input off); label 5: 2 hits
    cfg.plasticity = (PlasticityProgram("kernel", PlasticityTimer(0.0, 10.0, 4), hemispheres=(0, 1)),)
    stimulus = Stimulus.from_trials([([1.0, 2.0, 3.0, 60.0], 7), ([1.0, 2.0], 7)])   # 60 us: after the run
    spikes = SpikeRecord(2, np.array([0, 0, 1]), np.array([10.0, 12.0, 5.0]), np.array([5, 0, 5]))
    empty = np.zeros(0)
    result = RunResult(chip_id=0, duration_us=50.0, seed=0, spikes=spikes, dropped_events=np.array([0, 1]),
                       plasticity=PlasticityOutput(empty, empty, empty, {"kernel": 1000}, calls=4))
    return cfg, stimulus, result


def test_counted_event_set_and_its_energy():
    cfg, stimulus, result = counted_setup()
    counts = count_events(result, cfg, stimulus)
    # trial 0: 3 played inputs x 3 synapses + neuron 5's spike x 2 synapses (neuron 0 reaches none)
    # trial 1: 2 offered, 1 dropped -> 1 delivered: 2 x 3 x 1/2 + 2
    np.testing.assert_allclose(counts.synaptic_events, [11, 5])
    np.testing.assert_allclose(counts.spikes, [2, 1])
    np.testing.assert_allclose(counts.io_events, [3 + 2, 1 + 1])
    np.testing.assert_allclose(counts.ppu_cycles, [1000 * 4 * 2] * 2)      # 4 calls on both PPUs
    model = EnergyModel(synaptic_event_energy_joule=1e-11, spike_energy_joule=1e-10, io_event_energy_joule=1e-9,
                        ppu_cycle_energy_joule=1e-12, static_power_watt=0.1)
    energy = inference_energy(result, cfg, stimulus, model)
    dynamic = [2e-10 + 11e-11 + 8000e-12 + 5e-9, 1e-10 + 5e-11 + 8000e-12 + 2e-9]   # 13.31 nJ, 10.15 nJ
    np.testing.assert_allclose(energy.dynamic_energy_joule, dynamic, rtol=1e-12)
    assert energy.hardware_time_s == 50e-6
    np.testing.assert_allclose(energy.energy_joule, 0.1 * 50e-6 + np.array(dynamic), rtol=1e-12)
    assert energy.summary()["energy_per_inference_joule"] == pytest.approx(5e-6 + np.mean(dynamic), rel=1e-12)


def test_calibration_reproduces_the_published_inference():
    total = DEFAULT_MODEL.static_power_watt * PUBLISHED_TIME_PER_INFERENCE_S + \
        DEFAULT_MODEL.dynamic_energy_joule(REFERENCE_EVENTS)
    assert total == pytest.approx(PUBLISHED_ENERGY_PER_INFERENCE_JOULE, rel=1e-12)
    assert 0.14 < DEFAULT_MODEL.static_power_watt < 0.175        # static dominates, below the 175 mW total


def test_power_trace_integrates_to_the_dynamic_energy():
    energies = np.array([1e-6, 2e-6, 0.5e-6])
    power = power_trace_watt(energies, 48e-6, 0.15, 20e-6, 20, 3)
    assert np.all(power[:3] == 0.15) and np.all(power[-5:] == 0.15)   # idle before and after
    assert np.sum((power - 0.15) * 20e-6) == pytest.approx(energies.sum(), rel=1e-12)
    # first sample of the window: 20 us of inference 0 (1 uJ over 48 us)
    assert power[3] == pytest.approx(0.15 + 1e-6 / 48e-6, rel=1e-12)


def test_every_emulator_batch_is_tallied_and_saved_as_the_results_energy_block(tmp_path):
    import json

    import bss2_experiments.pynn as sim
    from bss2_experiments.energy_model import CHIP_ACTIVITY
    from bss2_experiments.results import Provenance, save_result

    sim.setup(timestep=0.1, ideal=True, seed=2, calibration=None)
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[]))
    post = sim.Population(3, sim.HXNeuron(excitatory_input_enable=True))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=40))
    CHIP_ACTIVITY.reset()
    first = sim.run_batch(30.0, inputs={src: np.array([[1.0, 2.0, np.nan, 3.0]] * 5)})
    second = sim.run_batch(30.0, inputs={src: np.full((2, 4), np.nan)})
    sim.end()
    e1, e2 = first.energy(), second.energy()
    np.testing.assert_allclose(e1.counts.io_events, 3 + e1.counts.spikes)     # 3 inputs delivered + spikes sent
    np.testing.assert_allclose(e1.counts.synaptic_events, 3 * 3)      # 3 inputs x 3 columns, no recurrence
    assert np.all(e2.counts.synaptic_events == 0) and np.all(e2.counts.io_events == 0)
    assert e1.hardware_time_s == 30e-6

    paths = save_result(tmp_path, "x", Provenance(backend="emulator"), {}, {})
    energy = json.loads(paths["json"].read_text())["energy"]
    assert energy["inferences"] == 7 and energy["chip_calls"] == 2 and energy["chips"] == ["emulator:ideal"]
    assert energy["hardware_time_per_inference_s"] == pytest.approx(30e-6)
    total = np.concatenate([e1.energy_joule, e2.energy_joule])
    assert energy["energy_joule"] == pytest.approx(total.sum(), rel=1e-12)
    assert energy["energy_per_inference_joule"] == pytest.approx(total.mean(), rel=1e-12)
    assert energy["events_per_inference"]["spikes"] == pytest.approx(e1.counts.spikes.sum() / 7)
    assert CHIP_ACTIVITY.trials == 0                                    # the next result starts a new tally
    paths = save_result(tmp_path, "y", Provenance(backend="nest"), {}, {})
    assert "energy" not in json.loads(paths["json"].read_text())       # no emulator run since
    with pytest.raises(ValueError, match="energy="):
        save_result(tmp_path, "z", Provenance(backend="emulator"), {}, {}, energy="yes")
