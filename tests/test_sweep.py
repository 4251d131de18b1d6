"""bss2 sweep: tasks from the grid, Dask LocalCluster of 2 workers, one retry, saved as they
land, resume, table and plot; TTFS through its cli."""
import json
import os
import textwrap

import numpy as np
import pytest

from bss2_experiments.cli import main
from bss2_experiments.distributed import dask_client, worker_threads_env
from bss2_experiments.sweeps.experiments import (ExperimentError, argv_from_namespace, experiment_parser,
                                                 run_experiment)
from bss2_experiments.sweeps.grid import SweepSpec, parse_params
from bss2_experiments.sweeps.report import write_report
from bss2_experiments.sweeps.runner import run_sweep
from bss2_experiments.sweeps.store import SweepStore

TOY_CLI = '''
"""A toy experiment cli: loss (x - 2)^2 + 0.1 seed; raises at --fail-at; logs every call."""
import json
SUMMARY = "toy"
EXAMPLES = ""
def add_arguments(parser):
    parser.add_argument("--x", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fail-at", type=float, default=None)
    parser.add_argument("--double", action="store_true")
    parser.add_argument("--calls", required=True)
    parser.add_argument("--out", default="runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
def main(args):
    with open(args.calls, "a") as f:
        f.write(f"{args.x} {args.seed} {args.out}\\n")
    if args.x == args.fail_at:
        raise ValueError(f"x = {args.x} is where this toy fails")
    print("a line of progress")
    if args.json:
        print(json.dumps({"count": 1, "loss": (2 if args.double else 1) * (args.x - 2) ** 2 + 0.1 * args.seed}))
    return 0
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A toy experiment package importable here and in Dask workers (PYTHONPATH)."""
    package = tmp_path / "toy_sweep_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "toycli.py").write_text(textwrap.dedent(TOY_CLI))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    return "toy_sweep_pkg.toycli", tmp_path / "calls.txt"


def _calls(path):
    return [tuple(line.split()[:2]) for line in path.read_text().splitlines()]


def test_grid_checks_names_values_and_flags(toy):
    name, calls = toy
    with pytest.raises(ExperimentError, match="no such option; it has .*fail-at.*seed"):
        parse_params(["alpha=1,2"], name)
    with pytest.raises(ExperimentError, match="sets this option itself"):
        parse_params(["seed=1,2"], name, seeds=3)
    params = parse_params(["x=1,3", "double=false,true"], name)
    assert params == {"x": ["1", "3"], "double": ["false", "true"]}
    tasks = SweepSpec(name, params, seeds=2, fixed_argv=["--calls", str(calls)]).tasks()
    assert len(tasks) == 8 and len({t.key for t in tasks}) == 8
    assert tasks[3].argv == ["--calls", str(calls), "--x", "1", "--double", "--seed", "1"]
    assert tasks[0].argv == ["--calls", str(calls), "--x", "1", "--seed", "0"]
    with pytest.raises(ExperimentError, match="invalid float value: 'abc'"):
        SweepSpec(name, {"x": ["1", "abc"]}, fixed_argv=["--calls", "c"]).tasks()
    with pytest.raises(ExperimentError, match="seed is swept twice"):
        SweepSpec(name, {"seed": ["1", "2"]}, seeds=2, fixed_argv=["--calls", "c"]).tasks()
    with pytest.raises(ExperimentError, match="flag: sweep it with values true/false"):
        SweepSpec(name, {"double": ["maybe"]}, fixed_argv=["--calls", "c"]).tasks()


def test_options_round_trip_through_the_command_line():
    parser = experiment_parser("ttfs")
    args = parser.parse_args(["--epochs", "3", "--software", "--dataset", "digits", "--seed", "4"])
    argv = argv_from_namespace(parser, args, skip=("seed",))
    assert sorted(argv) == sorted(["--epochs", "3", "--software", "--dataset", "digits"])


def test_experiment_runs_in_process_and_reports_failures(toy, tmp_path):
    name, calls = toy
    summary = run_experiment(name, ["--x", "4", "--seed", "2", "--calls", str(calls)], str(tmp_path / "o"))
    assert summary == {"count": 1, "loss": pytest.approx(4.2)}
    assert _calls(calls) == [("4.0", "2")]
    with pytest.raises(ValueError, match="where this toy fails"):
        run_experiment(name, ["--x", "1", "--fail-at", "1", "--calls", str(calls)], str(tmp_path / "o"))
    with pytest.raises(ExperimentError, match="unknown experiment 'nope'; choose one of ttfs"):
        run_experiment("nope", [], str(tmp_path))


def test_sweep_on_two_workers_retries_once_keeps_the_rest_and_resumes(toy, tmp_path):
    name, calls = toy
    spec = SweepSpec(name, {"x": ["1", "2", "3"]}, seeds=2, fixed_argv=["--calls", str(calls), "--fail-at", "3"])
    store = SweepStore(tmp_path / "sweep")
    store.create(spec)
    with pytest.raises(ExperimentError, match="already holds a sweep"):
        store.create(spec)
    with dask_client(n_workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        # a single-threaded worker holds one task at a time (no idle worker while another queues two)
        assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.WORKER_SATURATION) == 1.0
        outcome = run_sweep(store, client, progress=False)
        assert sorted(outcome.failed) == ["x=3__seed=0", "x=3__seed=1"]
        assert (outcome.ran, outcome.skipped) == (6, 0)
        records = store.records()
        for x in (1, 2):
            for seed in (0, 1):
                r = records[f"x={x}__seed={seed}"]
                assert r["status"] == "ok" and r["attempts"] == 1
                assert r["summary"]["loss"] == pytest.approx((x - 2) ** 2 + 0.1 * seed)
        failed = records["x=3__seed=0"]
        assert failed["status"] == "failed" and failed["attempts"] == 2
        assert "ValueError: x = 3.0 is where this toy fails" in failed["error"]
        made = _calls(calls)
        assert sorted(made) == sorted([(x, s) for x in ("1.0", "2.0") for s in ("0", "1")] + [("3.0", "0"), ("3.0", "1")] * 2)
        # every run wrote into its own folder under the sweep
        outs = {line.split()[2] for line in calls.read_text().splitlines()}
        assert str(store.runs_dir / "x=1__seed=0") in outs

        # an interrupted sweep: one record lost -> resume runs exactly that one and the failed ones
        (store.tasks_dir / "x=2__seed=1.json").unlink()
        calls.write_text("")
        outcome = run_sweep(store, client, progress=False)
    assert (outcome.ran, outcome.skipped) == (3, 3)
    assert sorted(_calls(calls)) == sorted([("2.0", "1")] + [("3.0", "0"), ("3.0", "1")] * 2)

    paths = write_report(store)
    table = json.loads(paths["json"].read_text())
    assert table["metric"] == "loss"
    assert [r["status"] for r in table["rows"]] == ["ok"] * 4 + ["failed"] * 2
    by_x = {row["x"]: row for row in table["aggregate"]}
    assert by_x["1"]["mean"] == pytest.approx(1.05) and by_x["1"]["std"] == pytest.approx(0.1 / np.sqrt(2))
    assert by_x["3"]["n"] == 0
    csv_lines = paths["csv"].read_text().splitlines()
    assert csv_lines[0].startswith("key,x,seed,status,attempts,seconds,count,loss,error") and len(csv_lines) == 7
    assert paths["png"].stat().st_size > 10_000


def test_worker_environment_shares_the_cores(monkeypatch):
    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert worker_threads_env(1, cores=8)["NUMBA_NUM_THREADS"] == "8"
    assert worker_threads_env(2, cores=8)["OMP_NUM_THREADS"] == "4"
    assert worker_threads_env(16, cores=8)["NUMBA_NUM_THREADS"] == "1"
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    assert worker_threads_env(2, cores=8)["NUMBA_NUM_THREADS"] == "3"


def test_bss2_sweep_of_ttfs_software(tmp_path, capsys):
    out = tmp_path / "ttfs_sweep"
    code = main(["sweep", "ttfs", "--param", "epochs=1,4", "--seeds", "2", "--software", "--workers", "2",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"sweep of ttfs: 4 runs into {out}"
    table = json.loads((out / "results.json").read_text())
    assert table["metric"] == "test_accuracy"
    rows = table["rows"]
    assert [(r["epochs"], r["seed"]) for r in rows] == [("1", 0), ("1", 1), ("4", 0), ("4", 1)]
    assert all(r["status"] == "ok" and r["backend"] == "software" for r in rows)
    assert {r["epochs"] for r in rows} == {"1", "4"} and [r["n_test"] for r in rows] == [1000] * 4
    mean = {a["epochs"]: a["mean"] for a in table["aggregate"]}
    assert 0.5 < mean["1"] < mean["4"] < 1.0  # more epochs learn more
    # every run saved its own results with provenance under the sweep folder
    saved = sorted((out / "runs").glob("*/ttfs/*/ttfs.json"))
    assert len(saved) == 4 and json.loads(saved[0].read_text())["provenance"]["seed"] == 0
    assert main(["sweep", "--resume", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "0 run, 4 already done, 0 failed" in capsys.readouterr().out


def test_bss2_sweep_rejects_bad_requests(tmp_path, capsys):
    assert main(["sweep", "ttfs", "--param", "lr=1,2", "--out", str(tmp_path / "a")]) == 2
    assert "no such option; it has" in capsys.readouterr().err
    assert main(["sweep"]) == 2
    assert "name an experiment" in capsys.readouterr().err
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert "holds no sweep" in capsys.readouterr().err
