"""TTFS with the chip in the loop: the PyNN forward pass agrees with the exact model, and
``bss2 run ttfs`` trains, saves and reports."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bss2_experiments.cli import main
from bss2_experiments.ttfs.chip import ChipForward
from bss2_experiments.ttfs.encoding import Encoding
from bss2_experiments.ttfs.network import Network

from bss2_experiments import datasets


def _hardware_network(seed: int = 0) -> tuple[Network, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = Network.random((20, 120, 3), [(0.9,) * 5, ()], (0.3, 0.15), (0.16, 0.3), rng)
    x, _ = datasets.yin_yang(200, seed=3)
    return net, Encoding(repeat=5)(x)


def test_emulated_chip_matches_the_exact_model():
    net, t_in = _hardware_network()
    chip = ChipForward(net, "emulator", chip_id=0, seed=1)
    assert 20 < chip.weight_scale < 80  # calibrated strength: one weight LSB ~ 1/40 threshold units
    net.weight_limit = chip.weight_limit
    net.clip()
    hw = chip.hardware_weights()
    assert all(np.array_equal(w, np.rint(w)) and np.abs(w).max() <= 63 for w in hw)
    measured = chip(t_in)
    analytic = Network([w / chip.weight_scale for w in hw], net.bias_times).forward(t_in)
    for m, a in zip(measured, analytic):
        assert np.mean(np.isfinite(m) == np.isfinite(a)) > 0.97
        both = np.isfinite(m) & np.isfinite(a)
        assert both.mean() > 0.5
        assert np.median(np.abs(m[both] - a[both])) < 0.05  # tau_s: 0.3 hardware us


def test_nest_runs_the_same_network_with_if_curr_exp():
    net, t_in = _hardware_network(1)
    chip = ChipForward(net, "nest", weight_scale=40.0)
    measured = chip(t_in[:60])[-1]
    analytic = Network([w / 40.0 for w in chip.hardware_weights()], net.bias_times).forward(t_in[:60])[-1]
    assert np.array_equal(np.isfinite(measured), np.isfinite(analytic))
    assert np.isfinite(analytic).mean() > 0.5
    # NEST adds PyNN's minimum delay (one 0.1 ms step) per layer; the model has none
    delay = 2 * chip.setup.timestep_us / chip.setup.tau_us
    np.testing.assert_allclose(measured[np.isfinite(measured)] - delay, analytic[np.isfinite(analytic)], atol=0.005)
    with pytest.raises(ValueError, match="weight_scale"):
        ChipForward(net, "nest")


def test_bss2_run_ttfs_trains_in_the_loop_and_saves(tmp_path, capsys):
    code = main(["run", "ttfs", "--pretrain-epochs", "3", "--epochs", "1", "--json", "--no-progress",
                 "--out", str(tmp_path)])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["test_accuracy"] > 0.7
    assert summary["chip_id"] == "emulator:0" and summary["backend"] == "emulator"
    assert summary["train_seconds"] > 0 and 0 < summary["inference_seconds"] < 30
    folder = next((tmp_path / "ttfs").iterdir())
    for name in ("ttfs.json", "ttfs.npz", "ttfs.png", "training_curves.png", "output_raster.png",
                 "classified_plane.png"):
        assert (folder / name).stat().st_size > 1000, name
    document = json.loads((folder / "ttfs.json").read_text())
    assert document["provenance"]["chip_id"] == "emulator:0"
    # the energy model's account: of the test set in the summary, of every chip call in the energy block
    assert summary["test_hardware_time_per_inference_s"] == pytest.approx(24e-6)     # 4 tau_s of 6 us
    assert summary["test_energy_per_inference_joule"] == pytest.approx(
        summary["test_static_power_watt"] * 24e-6 + summary["test_dynamic_energy_per_inference_joule"])
    assert 0 < summary["test_dynamic_energy_per_inference_joule"] < 1e-6
    energy = document["energy"]
    assert energy["chips"] == ["emulator:0"] and energy["inferences"] > 5000 + 1000 + 1000
    assert energy["events_per_inference"]["spikes"] > 3     # at least the output layer fires
    arrays = np.load(folder / "ttfs.npz")
    assert arrays["weights_0"].shape == (25, 120) and arrays["weights_1"].shape == (120, 3)
    assert np.mean(arrays["test_predictions"] == arrays["test_labels"]) == pytest.approx(summary["test_accuracy"])


def test_training_on_a_reference_simulator_is_refused_with_the_fix(capsys):
    assert main(["run", "ttfs", "--backend", "nest"]) == 2
    assert "--weights FILE" in capsys.readouterr().err


def _bss2(*args: str) -> str:
    """Run the ``bss2`` CLI in a fresh process (NEST after an emulator run in the same pytest
    process has crashed in NEST's ResetKernel on this machine), return its stdout."""
    done = subprocess.run([sys.executable, "-m", "bss2_experiments.cli", *args], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_trained_weights_run_on_nest_side_by_side(tmp_path):
    _bss2("run", "ttfs", "--pretrain-epochs", "5", "--epochs", "1", "--no-progress", "--out", str(tmp_path))
    weights = next((tmp_path / "ttfs").iterdir()) / "ttfs.npz"
    out = _bss2("run", "ttfs", "--backend", "nest", "--weights", str(weights), "--json", "--out", str(tmp_path))
    summary = json.loads(out.strip().splitlines()[-1])
    accuracies = summary["accuracies"]
    assert set(accuracies) == {"analytic model (host)", "nest", "emulator chip 0"}
    assert summary["test_accuracy"] == accuracies["nest"]
    # NEST integrates the model's equations: within a few decisions of the analytic model
    assert abs(accuracies["nest"] - accuracies["analytic model (host)"]) < 0.02
    assert min(accuracies.values()) > 0.6
    assert (next((tmp_path / "ttfs-inference").iterdir()) / "ttfs_inference.json").is_file()
