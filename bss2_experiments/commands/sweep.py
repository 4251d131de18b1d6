"""``bss2 sweep EXPERIMENT --param name=v1,v2 [--seeds N] ...``: every combination as a Dask
task, results saved as they land, one table and one plot (see :mod:`bss2_experiments.sweeps`)."""
from __future__ import annotations

import argparse
import sys

EXAMPLES = """examples:
  bss2 sweep ttfs --param epochs=1,2,4 --seeds 3 --pretrain-epochs 20
                         3 epoch counts x 3 seeds on a local cluster (one worker per core)
  bss2 sweep ttfs --seeds 4 --workers 2 --out runs/seeds --epochs 2
                         a seed sweep on 2 workers into runs/seeds/
  bss2 sweep ttfs --param dataset=yin_yang,digits --software --scheduler tcp://10.0.0.5:8786
                         on an existing Dask cluster
  bss2 sweep --resume runs/seeds          finish an interrupted sweep (finished tasks are skipped)
"""

SWEEP_OPTIONS = ("param", "seeds", "metric", "scheduler", "workers", "out", "resume", "no_progress")


def _add_options(parser: argparse.ArgumentParser, with_grid: bool) -> None:
    group = parser.add_argument_group("sweep options")
    S = argparse.SUPPRESS  # the parent's and the experiment parser's values must not overwrite each other
    if with_grid:
        group.add_argument("--param", action="append", metavar="NAME=V1,V2,...", default=S,
                           help="an experiment option and its values (repeat for a grid)")
        group.add_argument("--seeds", type=int, metavar="N", default=S, help="run seeds 0..N-1 of every combination")
        group.add_argument("--metric", default=S, help="summary value to plot (default: the experiment's headline, "
                                                       "else the first float of its summary)")
        group.add_argument("--out", metavar="DIR", default=S,
                           help="sweep folder (default runs/sweeps/EXPERIMENT/<time>); runs land in DIR/runs/")
    group.add_argument("--scheduler", metavar="ADDRESS", default=S,
                       help="Dask scheduler (tcp://host:8786); default: a local cluster")
    group.add_argument("--workers", type=int, metavar="N", default=S,
                       help="local worker processes (default: one per core)")
    group.add_argument("--resume", metavar="DIR", default=S, help="continue the sweep in DIR, skipping finished tasks")
    group.add_argument("--no-progress", action="store_true", default=S, help="no progress bar")


def register(subparsers) -> None:
    from .run import aliases, experiment_clis
    parser = subparsers.add_parser("sweep", help="sweep an experiment's options and seeds over Dask workers",
                                   description="Run every combination of the given option values (and seeds) "
                                               "of an experiment as Dask tasks; save each result as it lands; "
                                               "write a CSV + JSON table and a plot of the headline metric.",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_options(parser, with_grid=False)
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    for name, cli in experiment_clis().items():
        # "resolve": the sweep's --out/--no-progress replace the experiment's (it sets them per task)
        sub = experiments.add_parser(name, aliases=aliases(cli), help=cli.SUMMARY,
                                     description=f"sweep of: {cli.SUMMARY}", conflict_handler="resolve")
        cli.add_arguments(sub)
        _add_options(sub, with_grid=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..sweeps.experiments import ExperimentError
    try:
        return _run(args)
    except ExperimentError as err:
        print(f"bss2 sweep: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from ..distributed import dask_client
    from ..results import run_folder
    from ..sweeps.experiments import CONTROLLED, ExperimentError, argv_from_namespace, experiment_parser
    from ..sweeps.grid import SweepSpec, parse_params
    from ..sweeps.report import aggregate, table, write_report
    from ..sweeps.runner import run_sweep
    from ..sweeps.store import SweepStore

    option = lambda name, default=None: getattr(args, name, default)  # noqa: E731
    experiment = option("experiment")
    if option("resume"):
        store = SweepStore(option("resume"))
        spec = store.load_spec()
        if experiment and experiment != spec.experiment:
            raise ExperimentError(f"{store.folder} is a sweep of {spec.experiment}, not {experiment}")
        if option("param") and parse_params(option("param"), spec.experiment, spec.seeds) != spec.params:
            raise ExperimentError(f"{store.folder} sweeps {spec.params}; resume it without --param")
    elif not experiment:
        raise ExperimentError("name an experiment (bss2 sweep EXPERIMENT --param ...) or --resume DIR")
    else:
        seeds = option("seeds")
        params = parse_params(option("param") or [], experiment, seeds)
        skip = CONTROLLED + SWEEP_OPTIONS + tuple(params) + (("seed",) if seeds is not None else ())
        fixed = argv_from_namespace(experiment_parser(experiment), args, skip=skip)
        spec = SweepSpec(experiment, params, seeds, fixed, option("metric"))
        n_tasks = len(spec.tasks())  # validates every task's options before anything starts
        store = SweepStore(option("out") or run_folder("runs/sweeps", experiment))
        store.create(spec)
        print(f"sweep of {experiment}: {n_tasks} runs into {store.folder}")
    try:
        with dask_client(option("scheduler"), option("workers")) as client:
            outcome = run_sweep(store, client, progress=not option("no_progress", False))
    except KeyboardInterrupt:
        print(f"interrupted; finished runs are saved: continue with bss2 sweep --resume {store.folder}",
              file=sys.stderr)
        return 130
    paths = write_report(store)
    _, rows, metric = table(spec, store)
    if metric:
        for row in aggregate(spec, rows, metric):
            combo = ", ".join(f"{p}={row[p]}" for p in spec.params) or "all"
            stats = f"{row['mean']:.4g} +- {row['std']:.2g} (n={row['n']})" if row["n"] else "no result"
            print(f"  {combo}: {metric} {stats}")
    print(f"{outcome.ran} run, {outcome.skipped} already done, {len(outcome.failed)} failed in {outcome.seconds:.1f} s; "
          f"table {paths['csv']}" + (f", plot {paths['png']}" if "png" in paths else ""))
    for key in outcome.failed:
        print(f"  failed: {key}: {store.records()[key]['error']}", file=sys.stderr)
    return 1 if outcome.failed else 0
