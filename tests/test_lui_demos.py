"""Classroom demos, end to end through the protocol against the simulated probe."""
import json

import numpy as np
import pytest

from lui_board.demos import demo_module, run_demo
from lui_board.demos.jeffress import expected_neuron

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _run(name, tmp_path):
    folder, summary = run_demo(name, out=tmp_path / name, speed=8.0)
    assert (folder / f"{name.replace('-', '_')}.png").stat().st_size > 10_000
    assert json.loads((folder / "summary.json").read_text())["demo"] == name
    assert summary["lost_frames"] == 0
    return summary


def test_single_neuron(tmp_path):
    s = _run("single-neuron", tmp_path)
    assert s["psp_volt"] > 0.1 and s["ipsp_volt"] > 0.03
    assert s["burst_spikes"] >= 1
    rates = s["fi_output_rate_hz"]
    assert rates == sorted(rates) and rates[0] <= 1 and rates[-1] >= 5


def test_synfire_chain_carries_a_spike_board_to_board(tmp_path):
    s = _run("synfire-chain", tmp_path)
    first = [times[0] for times in s["spike_times_s"].values()]
    assert first == sorted(first)
    assert all(len(times) == 2 for times in s["spike_times_s"].values())      # one spike per wave
    delays = np.array(s["stage_delays_s"])
    assert np.all(delays > 0.05) and np.ptp(delays) < 0.2 * delays.mean()


def test_jeffress_picks_the_coincidence_neuron_matching_the_delay(tmp_path):
    s = _run("jeffress", tmp_path)
    assert s["expected"] == ["C1", "C2", "C3", "C4"]
    assert s["fired"] == [[name] for name in s["expected"]]


def test_ring_attractor_moves_one_step_per_turn(tmp_path):
    s = _run("ring-attractor", tmp_path)
    assert s["active_before_each_turn"] == [["O1"], ["O2"], ["O3"], ["O1"]]


def test_expected_neuron_mapping():
    d = 0.1
    assert [expected_neuron(k * d, d) for k in (-3, -1, 1, 3)] == [0, 1, 2, 3]


def test_demo_networks_are_wirable():
    for name in ("single-neuron", "synfire-chain", "jeffress", "ring-attractor"):
        net = demo_module(name).network()
        inputs = [(w.target, w.channel) for w in net.wires]
        assert len(inputs) == len(set(inputs)), f"{name}: two cables on one input"
        assert len(net.spike_inputs) <= 4 and len(net.membrane_inputs) <= 2      # probe limits
        assert "->" in net.wiring_text()
