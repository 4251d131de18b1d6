"""Command-line part of ``bss2 run tfim`` (argparse only at import; the experiment loads on use)."""
from __future__ import annotations

import argparse
import json
import sys

SUMMARY = "ground state of the transverse-field Ising chain on a spiking sampling network (Klassert et al. 2022)"
EXAMPLES = """  bss2 run tfim                              N = 6 spins at the critical field h = J
  bss2 run tfim --spins 4 --field 0.5 --json  another chain; last stdout line is one JSON object
  bss2 run tfim --scan 2 4 6 8 10            fidelity and energy error against chain length
  bss2 run tfim --no-references              the chip run only (no software capacity / exact-sampler runs)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spins", type=int, default=6, help="chain length N (2..12; default 6)")
    parser.add_argument("--field", type=float, default=1.0,
                        help="transverse field h in units of J (default 1, critical)")
    parser.add_argument("--scan", type=int, nargs="+", metavar="N",
                        help="run these chain lengths one after another and plot fidelity against N")
    parser.add_argument("--hidden", type=int, default=None, help="hidden units (default 2 N)")
    parser.add_argument("--iterations", type=int, default=None, help="stochastic-reconfiguration steps (default 50)")
    parser.add_argument("--trials", type=int, default=None,
                        help="chip trials of 1 ms (hardware) per step, 980 samples each (default 40)")
    parser.add_argument("--no-references", action="store_true",
                        help="skip the software references (exact-expectation capacity, exact sampler, translation)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights, background and temporal noise")
    parser.add_argument("--ideal", action="store_true", help="emulated chip without fixed-pattern/temporal noise")
    parser.add_argument("--out", default="runs", help="folder for results (default runs/)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    import dataclasses

    from bss2_experiments.results import Provenance

    from .experiment import TFIMConfig, run
    config = TFIMConfig(n_spins=args.spins, field=args.field, n_hidden=args.hidden, seed=args.seed,
                        chip_id=args.chip_id, ideal=args.ideal, references=not args.no_references)
    if args.iterations is not None:
        config = dataclasses.replace(config, training=dataclasses.replace(config.training, iterations=args.iterations))
    if args.trials is not None:
        config = dataclasses.replace(config, n_trials=args.trials)
    try:
        for n in args.scan or [args.spins]:
            dataclasses.replace(config, n_spins=n).validate()
    except ValueError as err:
        print(f"bss2 run tfim: {err}", file=sys.stderr)
        return 2
    if args.scan:
        from .scan import save_scan, scan
        results = scan(config, args.scan, progress=not args.no_progress)
        folder, summary = save_scan(results, args.out, Provenance(
            backend="emulator", chip_id=args.chip_id, calibration_id=results[0].calibration_id, seed=args.seed))
        for i, n in enumerate(summary["n_spins"]):
            print(f"N = {n}: " + _figures({k: v[i] for k, v in summary.items() if isinstance(v, list)}))
        print(f"saved to {folder}")
        if args.json:
            print(json.dumps(summary))
        return 0
    result = run(config, progress=not args.no_progress)
    folder = result.save(args.out, Provenance(backend="emulator", chip_id=args.chip_id,
                                              calibration_id=result.calibration_id, seed=args.seed))
    summary = result.summary()
    print(f"TFIM N = {config.n_spins}, h = {config.field:g}, M = {config.hidden} hidden: energy {result.energy:.4f} J "
          f"(exact {result.exact_energy:.4f} J)\n  " + _figures(summary))
    print(f"saved to {folder}")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "config"}, default=float))
    return 0


def _figures(summary: dict) -> str:
    """``chip: fidelity .., energy error .. %; capacity: ...`` for whatever the summary holds."""
    parts = []
    for name, label in (("", "chip"), ("_capacity", "capacity"), ("_exact_sampler", "exact sampler"),
                        ("_translated", "translated")):
        if f"fidelity{name}" in summary:
            parts.append(f"{label}: fidelity {summary[f'fidelity{name}']:.4f}, "
                         f"energy error {100 * summary[f'energy_error{name}']:.3f} %")
    return "; ".join(parts)
