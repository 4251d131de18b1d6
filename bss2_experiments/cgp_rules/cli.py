"""Command-line part of ``bss2 run cgp`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "cgp"
"""The command name, `bss2 run cgp` (the package is cgp_rules)."""
SUMMARY = "evolve plasticity rules (CGP, DEAP) on the emulated chip, distributed with Dask (Jordan et al. 2021)"
EXAMPLES = """  bss2 run cgp                               3 seeds x 200 generations on a local Dask cluster
  bss2 run cgp --generations 50 --seeds 5    shorter search from 5 seeds
  bss2 run cgp --scheduler tcp://host:8786   evaluate on an existing Dask cluster
  bss2 run cgp --throughput 1,2 --json       evaluations per second vs number of local workers
"""


def _at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def _worker_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"give worker counts like 1,2,4; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be >= 1, got {text!r}")
    return values


def _reachable(address: str) -> bool:
    """Whether a Dask scheduler answers at ``address``; says how to fix it when not."""
    from dask.distributed import Client
    try:
        Client(address, timeout="10s").close()
    except (OSError, TimeoutError, ValueError) as error:
        print(f"cannot reach a Dask scheduler at {address!r} ({error}); start one with `dask scheduler` and "
              f"workers with `dask worker {address}`, or omit --scheduler for a local cluster", file=sys.stderr)
        return False
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generations", type=_at_least(0), default=200, help="generations per search (default 200)")
    parser.add_argument("--seeds", type=_at_least(1), default=3, help="independent searches, seeds 0..N-1 (default 3)")
    parser.add_argument("--workers", type=_at_least(1), default=None, help="local Dask workers (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise; default 0)")
    parser.add_argument("--throughput", type=_worker_list, metavar="N,N,...",
                        help="only measure evaluations per second for these local worker counts")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .evolution import EvolutionConfig
    from .experiment import HELD_OUT, CGPConfig, run, throughput
    from .task import TaskConfig
    task = TaskConfig(chip_id=args.chip_id)
    if args.scheduler and not _reachable(args.scheduler):
        return 2
    if args.throughput:
        rates = throughput(args.throughput, task=task, scheduler=args.scheduler)
        for n, rate in rates.items():
            print(f"{n} worker(s): {rate['evaluations_per_second']:.1f} evaluations/s, "
                  f"{1000 * rate['cpu_seconds_per_evaluation']:.0f} CPU ms per evaluation")
        if args.json:
            print(json.dumps({key: {str(n): r[key] for n, r in rates.items()}
                              for key in ("evaluations_per_second", "cpu_seconds_per_evaluation")}))
        return 0
    config = CGPConfig(seeds=tuple(range(args.seeds)), evolution=EvolutionConfig(max_generations=args.generations),
                       task=task, held_out=replace(HELD_OUT, chip_id=args.chip_id), n_workers=args.workers,
                       scheduler=args.scheduler)
    result = run(config, progress=not args.no_progress)
    folder = result.save(args.out)
    for seed, expr, err in zip(config.seeds, result.expressions, result.held_out_error.max(axis=1)):
        print(f"seed {seed}: dw ~ {expr}   (held-out weight error max {100 * err:.1f} %)")
    summary = result.summary()
    print(f"champion: dw ~ {summary['champion']}; held-out weight error {100 * summary['weight_error']:.1f} %; "
          f"{result.evaluations} evaluations, {result.evaluations_per_second:.1f} evaluations/s "
          f"({1000 * result.cache.cpu_seconds_per_evaluation:.0f} CPU ms each), "
          f"{result.wall_seconds:.0f} s")
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "config"}, default=float))
    return 0
