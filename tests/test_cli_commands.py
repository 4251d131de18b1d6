"""``bss2 list`` (experiments, backends, kernels, cached calibrations) and ``bss2 bench``."""
from __future__ import annotations

import json
import subprocess
import sys

from bss2_experiments.cli import main
from calibration.cache import SUFFIX
from tests.test_calibration_storage import make_result


def test_list_json_names_experiments_backends_and_kernels_with_parameters(capsys):
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "ttfs" in listing["experiments"]
    assert list(listing["backends"])[:3] == ["emulator", "nest", "brian2"]
    assert listing["kernels"]["spike_train"]["parameters"] == ["count", "calls", "labels"]


def test_list_calibrations_reports_good_files_and_says_why_a_file_is_unreadable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BSS2_CALIB_CACHE", str(tmp_path))
    good = make_result("emulator:42")
    good.save(tmp_path / f"good{SUFFIX}")
    (tmp_path / f"broken{SUFFIX}").write_bytes(b"not a calibration")
    assert main(["list", "calibrations", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["calibrations"]
    entry = found[str(tmp_path / f"good{SUFFIX}")]
    assert entry["chip"] == "emulator:42" and entry["failed_neurons"] == 2
    assert entry["calibration_id"] == good.calibration_id
    assert "magic" in found[str(tmp_path / f"broken{SUFFIX}")]["error"]
    assert main(["list", "calibrations"]) == 0
    text = capsys.readouterr().out
    assert "emulator:42" in text and "unreadable" in text


def test_bench_runs_a_benchmark_of_the_checkout_and_refuses_unknown_names(capsys):
    assert main(["bench", "no_such_benchmark"]) == 2
    assert "available: calibration, emulator, peers" in capsys.readouterr().err
    done = subprocess.run([sys.executable, "-m", "bss2_experiments.cli", "bench", "ttfs", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--seeds" in done.stdout


def test_an_experiment_answers_to_its_aliases_in_run_sweep_and_submit(monkeypatch):
    """A cli's ``ALIASES`` are accepted wherever experiments are named, and resolve to it."""
    import types

    from bss2_experiments.commands import run as run_command
    from bss2_experiments.sweeps.experiments import experiment_cli
    calls = []
    fake = types.SimpleNamespace(SUMMARY="a walk home", EXAMPLES="", ALIASES=("walk",),
                                 add_arguments=lambda p: p.add_argument("--steps", type=int, default=1),
                                 main=lambda args: calls.append(args.steps) or 0)
    monkeypatch.setattr(run_command, "experiment_clis", lambda: {"path-home": fake})
    assert main(["run", "walk", "--steps", "7"]) == 0
    assert main(["run", "path-home", "--steps", "3"]) == 0
    assert calls == [7, 3]
    assert experiment_cli("walk") is fake and run_command.find_experiment("nowhere") is None
