"""Command-line part of ``bss2 run sampling`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

SUMMARY = "neural sampling: train a 5-unit Boltzmann machine on the emulated chip (Petrovici et al. 2016)"
EXAMPLES = """  bss2 run sampling                          calibrate activation functions, train, compare with NEST
  bss2 run sampling --chip-id 3 --seed 1 --json   another chip and target; last stdout line is JSON
  bss2 run sampling --iterations 0 --no-reference  sample the translated target only
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise; default 0)")
    parser.add_argument("--seed", type=int, default=0, help="target machine, background noise, temporal noise")
    parser.add_argument("--units", type=int, default=5, help="units of the Boltzmann machine (2..12; default 5)")
    parser.add_argument("--iterations", type=int, default=None, help="training iterations (default 60)")
    parser.add_argument("--ideal", action="store_true", help="emulated chip without fixed-pattern/temporal noise")
    parser.add_argument("--no-reference", action="store_true", help="skip the untrained network on NEST")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    import dataclasses

    from bss2_experiments.results import Provenance
    from .experiment import SamplingConfig, run
    config = SamplingConfig(n_units=args.units, seed=args.seed, chip_id=args.chip_id, ideal=args.ideal,
                            reference=None if args.no_reference else "nest")
    if args.iterations is not None:
        config = dataclasses.replace(config, training=dataclasses.replace(config.training, iterations=args.iterations))
    try:
        config.validate()
    except ValueError as err:
        print(f"bss2 run sampling: {err}", file=sys.stderr)
        return 2
    result = run(config, progress=not args.no_progress)
    folder = result.save(args.out, Provenance(backend="emulator", chip_id=args.chip_id,
                                              calibration_id=result.calibration_id, seed=args.seed))
    summary = result.summary()
    print(f"{config.n_units}-unit Boltzmann machine on {result.chip_identity}: D_KL untrained "
          f"{result.dkl_untrained:.4f}, after {len(result.history.dkl)} iterations {result.dkl_final:.4f}"
          + (f", {config.reference} untrained {summary[f'dkl_{config.reference}_untrained']:.4f}"
             if result.reference is not None else ""))
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "config"}, default=float))
    return 0
