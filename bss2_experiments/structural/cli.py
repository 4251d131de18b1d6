"""Command-line part of ``bss2 run structural`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

SUMMARY = "structural plasticity on Iris: the PPU rewires a fixed fan-in of k synapses per neuron (Billaudelle et al. 2021)"
EXAMPLES = """  bss2 run structural                        k = 8, 16, 32 of 60 receptors, 5 seeds, emulated chip 0
  bss2 run structural --fan-in 16 --seed 3   one level, one seed
  bss2 run structural --workers 2 --json     seeds on 2 Dask workers; last stdout line is one JSON object
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fan-in", type=int, nargs="+", default=None, metavar="K",
                        help="synapses per label neuron, one or more levels (default 8 16 32)")
    parser.add_argument("--seed", type=int, nargs="+", default=None, metavar="S",
                        help="seeds: split, initial connectivity, sample order, noise (default 0 1 2 3 4)")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the 120 training samples (default 6)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise; default 0)")
    parser.add_argument("--ideal", action="store_true", help="emulated chip without fixed-pattern/temporal noise")
    parser.add_argument("--workers", type=int, default=None, help="run the seeds on this many local Dask workers")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786) for the seeds")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from .experiment import StructuralConfig, run
    changes = {name: tuple(v) if isinstance(v, list) else v
               for name, v in (("fan_ins", args.fan_in), ("seeds", args.seed), ("epochs", args.epochs)) if v is not None}
    try:
        config = StructuralConfig(chip_id=args.chip_id, ideal=args.ideal, **changes)
    except ValueError as error:
        print(f"bss2 run structural: {error}", file=sys.stderr)
        return 2
    result = run(config, progress=not args.no_progress, workers=args.workers, scheduler=args.scheduler)
    folder = result.save(args.out, seed_label=config.seeds[0] if len(config.seeds) == 1 else None)
    summary = result.summary()
    for k, acc in result.test_accuracy.items():
        per_seed = ", ".join(f"{100 * a:.1f}" for a in summary["test_accuracy_per_seed"][str(k)])
        reached = summary["samples_to_90_percent"][str(k)]
        print(f"k = {k:2d}: test accuracy {100 * acc:.1f} % (seeds: {per_seed}); 90 % "
              + (f"after {reached:.0f} samples" if reached is not None else "not reached"))
    steps = ", ".join(f"{n} (k = {k})" for k, n in summary["pruning_steps"].items())
    print(f"fan-in constant at all {summary['test_points']} test points, after {steps} pruning steps: "
          f"{summary['fan_in_constant']}; "
          f"{result.seconds:.1f} s on {result.chip_identity}")
    print(f"saved to {folder}")
    if args.json:
        single = len(config.fan_ins) == 1
        out = {k: v for k, v in summary.items() if k != "config"}
        if single:
            out["test_accuracy"] = next(iter(result.test_accuracy.values()))
            out["test_accuracy_per_level"] = summary["test_accuracy"]
        print(json.dumps(out))
    return 0
