"""Command-line part of ``bss2 run path-integration`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json

NAME = "path-integration"
"""The command name (issue #9); the package is ``bss2_experiments.insect``."""
ALIASES = ("insect",)
SUMMARY = "bee path integration: central complex on the chip, body and world on the PPU (Stone et al. 2017)"
EXAMPLES = """  bss2 run path-integration                     100 journeys, 1000-step outbound routes, figures
  bss2 run path-integration --journeys 20 --outbound-steps 500 --json
                                                last stdout line: success_rate, journeys_per_second, ...
  bss2 run path-integration --frame-block 0 --journeys 20
                                                without the heading-frame rotation (fixed-pattern noise integrates)
  bss2 run path-integration --tune-generations 5
                                                CMA-ES over the global gains first (Dask workers)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--journeys", type=int, default=100, help="journeys on the chip (default 100)")
    parser.add_argument("--outbound-steps", type=int, default=1000, help="random outbound route (default 1000)")
    parser.add_argument("--homing-steps", type=int, default=1000, help="steps steered home (default 1000)")
    parser.add_argument("--curve-journeys", type=int, default=10,
                        help="journeys per extra outbound length (250, 500) of the closest-approach curve")
    parser.add_argument("--seed", type=int, default=0, help="routes and temporal noise (default 0)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise)")
    parser.add_argument("--ideal", action="store_true", help="no fixed-pattern or temporal noise")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (1: in this process)")
    parser.add_argument("--frame-block", type=int, default=None,
                        help="steps per rotation of the heading frame on the chip (default 4; 0: no rotation)")
    parser.add_argument("--tune-generations", type=int, default=0, help="CMA-ES generations before the run")
    parser.add_argument("--tune-population", type=int, default=6, help="CMA-ES candidates per generation")
    for name in ("memory_gain", "memory_weight", "tb1_cpu1", "turn_gain"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=None,
                            help=f"global gain {name} of the chip's circuit (default: chip.CHIP_GAINS)")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from bss2_experiments.results import Provenance
    from .experiment import InsectConfig, run
    from .chip import CHIP_GAINS
    from .rate import Gains
    given = {k: getattr(args, k) for k in ("memory_gain", "memory_weight", "tb1_cpu1", "turn_gain")
             if getattr(args, k) is not None}
    given = {**CHIP_GAINS.as_dict(), **given}
    config = InsectConfig(journeys=args.journeys, outbound_steps=args.outbound_steps, homing_steps=args.homing_steps,
                          curve_journeys=args.curve_journeys, seed=args.seed, chip_id=args.chip_id,
                          ideal=args.ideal, workers=args.workers, tune_generations=args.tune_generations,
                          tune_population=args.tune_population, gains=Gains(**given),
                          **({} if args.frame_block is None else {"frame_block": args.frame_block}))
    result = run(config, progress=not args.no_progress)
    chip_id = "ideal" if args.ideal else args.chip_id
    folder = result.save(args.out, Provenance(backend="emulator", chip_id=chip_id, seed=args.seed,
                                              calibration_id="auto (cached per chip and targets)"))
    s = result.summary()
    print(f"{s['journeys']} journeys ({args.outbound_steps} steps out, {args.homing_steps} home) on the emulator "
          f"(chip {chip_id}): {100 * s['success_rate']:.0f} % within {s['home_range']:.0f} of the nest, mean "
          f"closest approach {s['mean_closest_approach']:.1f} +- {s['sd_closest_approach']:.1f} (turning point at "
          f"{s['mean_turning_distance']:.0f}); rate model {100 * s['rate_model_success_rate']:.0f} %; "
          f"{s['journeys_per_second']:.2f} journeys/s")
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in s.items() if k != "config"}, default=float))
    return 0
