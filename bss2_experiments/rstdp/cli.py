"""Command-line part of ``bss2 run rstdp`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json

SUMMARY = "Pong learned by R-STDP fully on the emulated chip: the PPU plays and learns (Wunderlich et al. 2019)"
EXAMPLES = """  bss2 run rstdp                               3 agents (seeds 0-2) on the emulated chip, NEST twin timed
  bss2 run rstdp --workers 2                   the seeds on 2 local Dask workers
  bss2 run rstdp --iterations 500 --seeds 1    a short run of one agent
  bss2 run rstdp --seed 7 --twin-iterations 0 --json
                                               other seeds, no twin; last stdout line is one JSON object
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=None, help="training iterations per agent (default 20000)")
    parser.add_argument("--seed", type=int, default=0,
                        help="first seed: initial weights, PPU random stream (default 0)")
    parser.add_argument("--seeds", type=int, default=3, help="agents trained, seeds S, S+1, ... (default 3)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise; default 0)")
    parser.add_argument("--uncalibrated", action="store_true", help="design DAC values instead of a calibration")
    parser.add_argument("--twin-iterations", type=int, default=30,
                        help="iterations of the NEST twin timed for the speed ratio (0: skip; default 30)")
    parser.add_argument("--workers", type=int, default=None, help="train the seeds on this many local Dask workers")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786) for the seeds")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    import sys

    from bss2_experiments.results import Provenance, run_folder, save_result

    from .config import ConfigError, PongConfig
    from .experiment import plot, run

    changes = {"iterations": args.iterations} if args.iterations is not None else {}
    try:
        config = PongConfig(seed=args.seed, chip_id=args.chip_id, calibrated=not args.uncalibrated, **changes)
        if args.seeds < 1 or args.twin_iterations < 0 or (args.workers is not None and args.workers < 1):
            raise ConfigError(f"--seeds {args.seeds} / --twin-iterations {args.twin_iterations} / --workers "
                              f"{args.workers}: need at least one seed, a non-negative number of twin iterations "
                              f"and at least one worker")
    except ConfigError as error:
        print(f"bss2 run rstdp: {error}", file=sys.stderr)
        return 2
    result = run(config, n_seeds=args.seeds, twin_iterations=args.twin_iterations, progress=not args.no_progress,
                 workers=args.workers, scheduler=args.scheduler)
    summary = result.summary()
    folder = run_folder(args.out, "rstdp")
    provenance = Provenance(backend="emulator", chip_id=config.chip_id, seed=config.seed,
                            calibration_id=result.runs[0].calibration_id)
    save_result(folder, "rstdp", provenance, summary, result.arrays(), plot(result))
    per_seed = ", ".join(f"{r:.3f}" for r in summary["mean_expected_reward_per_seed"])
    print(f"Pong R-STDP on the emulated chip {config.chip_id}: mean expected reward "
          f"{summary['mean_expected_reward']:.3f} "
          f"(seeds: {per_seed}) after {config.iterations} iterations, {1e3 * summary['seconds_per_iteration']:.1f} ms "
          f"per iteration")
    if "twin_over_emulator" in summary:
        print(f"NEST twin: {1e3 * summary['twin_seconds_per_iteration']:.1f} ms per iteration "
              f"({summary['twin_over_emulator']:.1f}x the emulator)")
    print(f"weights vs excitability: r = {summary['weight_excitability_r']:.2f}")
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "config"}, default=float))
    return 0
