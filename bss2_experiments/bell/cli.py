"""Command-line part of ``bss2 run bell`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

SUMMARY = ("Bell state (and Werner states) learned by a spiking sampling network; fidelity and CHSH "
           "(Czischek et al. 2022)")
EXAMPLES = """  bss2 run bell                              singlet + Werner states on emulated chip 0
  bss2 run bell --werner 1.0 --json          only the pure Bell state; last stdout line is JSON
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights, background and temporal noise")
    parser.add_argument("--state", default="psi-", choices=("phi+", "phi-", "psi+", "psi-"), help="Bell state")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units (default 10)")
    parser.add_argument("--werner", type=float, nargs="+", default=None,
                        help="Werner mixing parameters to learn (default 1.0 0.8 0.6 0.4; the first is reported)")
    parser.add_argument("--iterations", type=int, default=None,
                        help="in-the-loop iterations of the first state after software pre-training (default 600)")
    parser.add_argument("--ideal", action="store_true", help="emulated chip without fixed-pattern/temporal noise")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    import dataclasses

    from bss2_experiments.results import Provenance
    from .experiment import BellConfig, run
    config = BellConfig(seed=args.seed, chip_id=args.chip_id, ideal=args.ideal, state=args.state, n_hidden=args.hidden)
    if args.werner is not None:
        config = dataclasses.replace(config, werner=tuple(args.werner))
    if args.iterations is not None:
        config = dataclasses.replace(config, training=dataclasses.replace(config.training, iterations=args.iterations))
    try:
        config.validate()
    except ValueError as err:
        print(f"bss2 run bell: {err}", file=sys.stderr)
        return 2
    result = run(config, progress=not args.no_progress)
    folder = result.save(args.out, Provenance(backend="emulator", chip_id=args.chip_id,
                                              calibration_id=result.calibration_id, seed=args.seed))
    print(f"coupling gain (exc, inh) {result.coupling_gain[0]:.2f}, {result.coupling_gain[1]:.2f}")
    for p, f, fl, s, se, fs, tv in zip(result.p, result.fidelity, result.fidelity_linear, result.chsh, result.chsh_exact,
                                       result.fidelity_software, result.tvd_translated):
        print(f"Werner p = {p:.2f}: fidelity {f:.4f} (linear inversion, clipped: {fl:.4f}), CHSH S = {s:.3f} (exact "
              f"{se:.3f}); software RBM fidelity {fs:.4f}, chip vs its Boltzmann distribution before in-the-loop "
              f"training: TVD {tv:.3f}")
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in result.summary().items() if k != "config"}, default=float))
    return 0
