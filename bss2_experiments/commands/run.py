"""``bss2 run EXPERIMENT ...``: run one experiment, save its result, print a summary.

Each experiment is a module with ``add_arguments(parser)`` and ``main(args) -> int`` that
imports only argparse at load time; the experiment itself is imported when it runs.
"""
from __future__ import annotations

import importlib

EXPERIMENTS = {
    "ttfs": ("bss2_experiments.ttfs.cli",
             "train a first-spike (TTFS) classifier on Yin-Yang with the chip in the loop (Goeltz et al. 2021)"),
}

EXAMPLES = """examples:
  bss2 run ttfs                              train on the emulated chip, test, save figures
  bss2 run ttfs --software --epochs 300      the paper's software network (analytic forward)
  bss2 run ttfs --chip-id 3 --seed 1 --json  another chip; last stdout line is one JSON object
  bss2 run ttfs --backend nest --weights runs/ttfs/<stamp>/ttfs.npz
                                             evaluate trained weights on NEST next to the emulator
"""


def register(subparsers) -> None:
    import argparse
    parser = subparsers.add_parser("run", help="run an experiment (" + ", ".join(EXPERIMENTS) + ")",
                                   description="Run an experiment and save JSON + NPZ + PNG results.",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for name, (module, summary) in EXPERIMENTS.items():
        sub = experiments.add_parser(name, help=summary, description=summary)
        cli = importlib.import_module(module)
        cli.add_arguments(sub)
        sub.set_defaults(func=cli.main)
