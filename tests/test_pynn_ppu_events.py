"""A PPU kernel stands in for a spike source: ``event_labels`` tells it which labels to
send, the emulator delivers them, the network answers (PyNN level, emulator chip)."""
from __future__ import annotations

import numpy as np

import bss2_experiments.pynn as sim
from bss2_experiments.pynn.mapping import INPUT_LABEL_OFFSET


def test_a_kernel_drives_a_population_through_the_labels_of_a_silent_source():
    sim.setup(timestep=0.01, ideal=True, calibration=None, progress=False)
    seen = {}

    def parameters(rows, columns, event_labels):
        labels = event_labels(stimulus)
        seen["stimulus"], seen["neurons"] = labels, event_labels(driven)
        return {"count": 4, "labels": np.resize(np.repeat(labels[:1], 4), 64)}   # 4 events of source 0

    rule = sim.PlasticityRule(kernel="spike_train", timer=sim.Timer(start=10.0, period=20.0, num_periods=5),
                              parameters=parameters)
    other = sim.Population(2, sim.SpikeSourceArray(spike_times=[]))
    stimulus = sim.Population(2, sim.SpikeSourceArray(spike_times=[]))   # no host events: the PPU sends them
    driven = sim.Population(2, sim.IF_curr_exp(tau_m=10.0, tau_syn_E=5.0, plasticity_rule=rule))
    sim.Projection(other, driven, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
    sim.Projection(stimulus, driven, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
    driven.record("spikes")
    sim.run(110.0)
    trains = [np.asarray(st.magnitude) for st in driven.get_data().segments[0].spiketrains]
    sim.end()
    assert seen["stimulus"].tolist() == [INPUT_LABEL_OFFSET + 2, INPUT_LABEL_OFFSET + 3]
    assert seen["neurons"].tolist() == [0, 1]
    calls_ms = 10.0 + 20.0 * np.arange(5)
    after_call = trains[0][:, None] - calls_ms[None, :]
    assert np.all(((after_call > 0) & (after_call < 8.0)).any(axis=1))   # every spike follows a call
    assert np.all(((after_call > 0) & (after_call < 8.0)).any(axis=0))   # every call drives spikes
    assert trains[1].size == 0                                           # source 1's label was never sent
