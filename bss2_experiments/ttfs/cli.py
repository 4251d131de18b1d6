"""Command-line part of ``bss2 run ttfs`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

BACKEND_CHOICES = ("emulator", "nest", "brian2", "hardware")

SUMMARY = "train a first-spike (TTFS) classifier on Yin-Yang with the chip in the loop (Goeltz et al. 2021)"
EXAMPLES = """  bss2 run ttfs                              train on the emulated chip, test, save figures
  bss2 run ttfs --software --epochs 300      the paper's software network (analytic forward)
  bss2 run ttfs --chip-id 3 --seed 1 --json  another chip; last stdout line is one JSON object
  bss2 run ttfs --backend nest --weights runs/ttfs/<stamp>/ttfs.npz
                                             evaluate trained weights on NEST next to the emulator
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="emulator", choices=BACKEND_CHOICES,
                        help="PyNN backend of the forward pass (training needs a chip backend; NEST/Brian2 "
                             "evaluate --weights; default emulator)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise; default 0)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights, batch order, temporal noise (default 0)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs with the forward pass on the backend (default 60; --software: 300)")
    parser.add_argument("--pretrain-epochs", type=int, default=None,
                        help="analytic epochs of the hardware network before going in the loop (default 300)")
    parser.add_argument("--dataset", default="yin_yang", choices=("yin_yang", "digits"),
                        help="Yin-Yang (Kriener et al. 2022) or scikit-learn's 8x8 digits (default yin_yang)")
    parser.add_argument("--software", action="store_true", help="the paper's software network, analytic forward")
    parser.add_argument("--ideal", action="store_true", help="emulated chip without fixed-pattern/temporal noise")
    parser.add_argument("--uncalibrated", action="store_true", help="design DAC values instead of a calibration")
    parser.add_argument("--weights", metavar="FILE", help="evaluate the weights of a saved ttfs.npz, no training")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from bss2_experiments.results import Provenance
    if args.weights:
        from .inference import compare
        summary, folder = compare(args.weights, args.backend, args.chip_id, args.seed, args.out)
        for name, acc in summary["accuracies"].items():
            print(f"{name:>28s}: test accuracy {100 * acc:.1f} %")
    else:
        from .experiment import TTFSConfig, run
        if args.backend in ("nest", "brian2") and not args.software:
            print(f"training runs its forward pass on a chip backend; to evaluate trained weights on {args.backend} "
                  f"add --weights FILE (a ttfs.npz), or train with --software", file=sys.stderr)
            return 2
        changes = {k: v for k, v in (("epochs", args.epochs), ("pretrain_epochs", args.pretrain_epochs)) if v is not None}
        common = dict(dataset=args.dataset, seed=args.seed, chip_id=args.chip_id, ideal=args.ideal,
                      calibrated=not args.uncalibrated, **changes)
        config = TTFSConfig.software_default(**common) if args.software else TTFSConfig(**common)
        result = run(config, args.backend, progress=not args.no_progress)
        summary = result.summary()
        folder = result.save(args.out, Provenance(backend=result.backend, chip_id=result.chip_id, seed=args.seed))
        print(f"TTFS {config.dataset} on {result.backend} (chip {result.chip_id}): test accuracy "
              f"{100 * result.test_accuracy:.1f} %, training {result.train_seconds:.1f} s, inference of "
              f"{len(result.test_labels)} samples {result.inference_seconds:.3f} s")
        if result.test_energy:
            e = result.test_energy
            print(f"energy model: {e['energy_per_inference_joule'] * 1e6:.2f} uJ per inference "
                  f"({e['dynamic_energy_per_inference_joule'] * 1e6:.3f} uJ above static) in "
                  f"{e['hardware_time_per_inference_s'] * 1e6:.0f} us of chip time")
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "config"}, default=float))
    return 0
