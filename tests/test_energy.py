"""The energy/latency protocol and ``bss2 energy`` with pyvisa-sim instruments."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from bss2_experiments.cli import main
from bss2_experiments.energy import (MeasurementInterrupted, PartialMeasurement, ProtocolSettings,
                                     integrate_energy_joule, measure)
from bss2_experiments.energy_model import EnergyModel, EventCounts, InferenceEnergy
from bss2_experiments.energy_workloads import InferenceBatch, make_workload
from bss2_experiments.instruments import Oscilloscope, PowerAnalyser, PowerTrace
from bss2_experiments.instruments.simulation import (SIM_OSCILLOSCOPE, SIM_POWER_ANALYSER, SimulatedBench,
                                                     simulated_resource_manager)
from emulator.chip import Emulator
from test_instruments import hanging_scope_definitions

STATIC_WATT = 0.15
SMALL_RECORDS = ProtocolSettings(experiment="fake", n_inferences=60, n_samples=64, pretrigger_samples=8,
                                 latency_samples=4)
"""64 samples of 20.48 us, 8 before the trigger: 23 inferences of 48 us per record."""


class FakeWorkload:
    """Inference i costs (1 + i % 3) uJ above idle and answers after (10 + i / 10) us."""

    name = "fake"
    hardware_time_per_inference_s = 48e-6
    model = EnergyModel(static_power_watt=STATIC_WATT)
    chip = SimpleNamespace(identity="fake:0")

    def run(self, n_inferences: int, start: int = 0) -> InferenceBatch:
        index = np.arange(start, start + n_inferences)
        zeros = np.zeros(n_inferences)
        energy = InferenceEnergy(48e-6, 1e-6 * (1 + index % 3), STATIC_WATT, EventCounts(zeros, zeros, zeros, zeros))
        return InferenceBatch(start, energy, (10 + index / 10) * 1e-6)


class PullCableAtRecord:
    """Feeds the simulated bench, then disconnects the analyser before record ``n`` is fetched."""

    def __init__(self, bench: SimulatedBench, n: int):
        self.bench, self.n, self.records = bench, n, 0

    def feed_power(self, power_watt):
        self.bench.feed_power(power_watt)
        self.records += 1                              # record 0 is the idle baseline
        if self.records == self.n + 1:
            self.bench.analyser._resource.close()

    def feed_latency(self, latency_s):
        self.bench.feed_latency(latency_s)


def sim_bench(rm):
    analyser = PowerAnalyser(SIM_POWER_ANALYSER, rm, timeout_s=1)
    scope = Oscilloscope(SIM_OSCILLOSCOPE, rm, timeout_s=1)
    return analyser, scope, SimulatedBench(analyser, scope)


def test_energy_integral_of_a_known_trace_is_exact():
    interval_s = 1e-3
    power = np.full(20, 0.25)
    power[5:15] += 0.5                                 # 10 samples 0.5 W above idle
    trace = PowerTrace(np.arange(20) * interval_s, np.full(20, 1.0), power, interval_s)
    assert integrate_energy_joule(trace, 0.25) == 5e-3     # 0.5 W x 10 x 1 ms


def test_protocol_measures_the_fed_energy_and_latency(tmp_path):
    rm = simulated_resource_manager()
    analyser, scope, bench = sim_bench(rm)
    result = measure(FakeWorkload(), analyser, tmp_path, SMALL_RECORDS, scope=scope, feeds=[bench])
    assert result.raw.block_counts == [23, 23, 14]
    assert result.power_idle_watt == pytest.approx(STATIC_WATT, rel=1e-8)
    assert result.energy_per_inference_joule == pytest.approx(2e-6, rel=1e-6)   # mean of 1, 2, 3 uJ
    assert result.energy_total_per_inference_joule == pytest.approx(2e-6 + STATIC_WATT * 48e-6, rel=1e-6)
    assert result.power_total_watt == pytest.approx(STATIC_WATT + 2e-6 / 48e-6, rel=1e-6)
    np.testing.assert_allclose(result.latency_s, (10 + np.arange(4) / 10) * 1e-6, rtol=1e-8)
    assert result.latency_seconds == pytest.approx(10.15e-6, rel=1e-8)
    assert result.raw.waveform is not None and result.raw.waveform.volt.max() == 1.2
    rm.close()


def test_disconnect_mid_run_saves_samples_and_resume_continues(tmp_path):
    rm = simulated_resource_manager()
    analyser, scope, bench = sim_bench(rm)
    with pytest.raises(MeasurementInterrupted) as stop:
        measure(FakeWorkload(), analyser, tmp_path, SMALL_RECORDS, scope=scope, feeds=[PullCableAtRecord(bench, 2)])
    message = str(stop.value)
    assert f"DC power analyser N6705C at {SIM_POWER_ANALYSER}" in message
    assert "while fetching the datalog" in message and f"--resume {tmp_path}" in message
    saved = PartialMeasurement.load(tmp_path)
    assert saved.idle is not None and saved.block_counts == [23] and saved.latency_s == []

    analyser, scope, bench = sim_bench(rm)             # instrument reconnected
    result = measure(FakeWorkload(), analyser, tmp_path, scope=scope, feeds=[bench])
    assert result.raw.block_counts == [23, 23, 14]
    np.testing.assert_array_equal(result.raw.idle.power_watt, saved.idle.power_watt)   # not measured again
    assert result.energy_per_inference_joule == pytest.approx(2e-6, rel=1e-6)
    rm.close()


def last_json_line(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_simulated_cli_run_saves_result_and_plot_consistent_with_the_model(tmp_path, capsys):
    assert main(["energy", "--experiment", "reference", "--simulated", "--json", "--n-inferences", "200",
                 "--latency-samples", "10", "--out", str(tmp_path)]) == 0
    line = last_json_line(capsys.readouterr().out)
    assert {"energy_per_inference_joule", "latency_seconds", "power_idle_watt"} <= set(line)
    folder = next((tmp_path / "energy").iterdir())
    document = json.loads((folder / "energy.json").read_text())
    assert document["provenance"]["backend"] == "emulator" and document["provenance"]["chip_id"] == "emulator:0"
    assert document["provenance"]["seed"] == 0 and document["summary"]["simulated"] is True
    assert "N6705C" in document["summary"]["power_meter"] and "DSOX3034T" in document["summary"]["scope"]
    summary = document["summary"]
    assert summary["energy_per_inference_joule"] == line["energy_per_inference_joule"]
    arrays = np.load(folder / "energy.npz")
    assert arrays["idle_power_watt"].size == 4096 and arrays["latency_s"].size == 10
    assert (folder / "energy.png").stat().st_size > 20_000
    assert not (folder / "energy_partial.json").exists()

    assert document["energy"]["inferences"] == 200 + 10 and document["energy"]["chips"] == ["emulator:0"]
    model = make_workload("reference", Emulator(chip_id=0), seed=0).run(200).energy   # independent prediction
    assert line["energy_per_inference_joule"] == pytest.approx(np.mean(model.dynamic_energy_joule), rel=0.05)
    assert line["energy_total_per_inference_joule"] == pytest.approx(np.mean(model.energy_joule), rel=0.05)
    assert line["energy_total_per_inference_joule"] == pytest.approx(8.4e-6, rel=0.05)
    assert line["power_idle_watt"] == pytest.approx(model.static_power_watt, rel=1e-6)
    assert line["hardware_time_per_inference_seconds"] == 48e-6
    assert 2e-6 < line["latency_seconds"] < 48e-6
    np.testing.assert_allclose(arrays["latency_s"], arrays["model_latency_s"], rtol=1e-6)


def test_ttfs_workload_measures_the_trained_classifier_with_its_accuracy(tmp_path, capsys):
    assert main(["energy", "--experiment", "ttfs", "--pretrain-epochs", "20", "--simulated", "--json",
                 "--n-inferences", "1000", "--latency-samples", "5", "--out", str(tmp_path)]) == 0
    line = last_json_line(capsys.readouterr().out)
    document = json.loads(open(line["result"]).read())
    summary = document["summary"]
    assert summary["workload"]["network"] == "20 inputs + 5 bias -> 120 -> 3"
    assert "20 epochs" in summary["workload"]["weights"]
    assert 0.8 < line["accuracy"] == summary["accuracy"]        # all 1000 Yin-Yang test samples, once each
    assert line["hardware_time_per_inference_seconds"] == pytest.approx(24e-6)   # 4 tau_s of 6 us
    # the modelled dynamic energy of the classifier's events, read back through the simulated analyser
    assert line["energy_per_inference_joule"] == pytest.approx(summary["model_dynamic_energy_per_inference_joule"],
                                                               rel=0.02)
    assert 0.05e-6 < line["energy_per_inference_joule"] < 0.5e-6
    assert line["energy_total_per_inference_joule"] == pytest.approx(
        line["energy_per_inference_joule"] + line["power_idle_watt"] * 24e-6, rel=1e-9)
    assert 0.5e-6 < line["latency_seconds"] < 24e-6
    assert np.load(line["result"].replace(".json", ".npz"))["correct"].size == 1000
    assert main(["energy", "--experiment", "reference", "--weights", "x.npz", "--simulated"]) == 2
    assert "--weights and --pretrain-epochs belong to --experiment ttfs" in capsys.readouterr().err


def test_cli_scope_timeout_saves_partial_and_resume_finishes(tmp_path, capsys):
    # timeout 1 s: pyvisa-sim reads a 4096-sample record byte by byte (~0.2 s), the hanging scope then costs 2 s
    hanging = hanging_scope_definitions(tmp_path)
    out = tmp_path / "runs"
    assert main(["energy", "--experiment", "reference", "--simulated", "--visa-library", f"{hanging}@sim",
                 "--timeout-s", "1", "--n-inferences", "100", "--latency-samples", "5", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert f"oscilloscope DSOX3034T at {SIM_OSCILLOSCOPE} failed while measuring the marker-to-spike delay" in err
    folder = next((out / "energy").iterdir())
    assert f"--resume {folder}" in err
    saved = PartialMeasurement.load(folder)
    assert saved.inferences_done == 100 and saved.latency_s == []

    assert main(["energy", "--simulated", "--resume", str(folder), "--json"]) == 0
    line = last_json_line(capsys.readouterr().out)
    summary = json.loads((folder / "energy.json").read_text())["summary"]
    assert summary["n_inferences"] == 100 and summary["latency_samples"] == 5
    assert line["latency_seconds"] == summary["latency_seconds"] and line["latency_seconds"] > 0
