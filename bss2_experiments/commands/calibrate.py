"""``bss2 calibrate``: calix-style calibration of all 512 neurons of an emulated chip."""
from __future__ import annotations

import argparse

REPORTED = ("leak", "reset", "threshold", "tau_m", "tau_syn_exc", "tau_syn_inh")

EXAMPLES = """examples:
  bss2 calibrate --chip-id 7                      calibrate chip 7 to the default targets
  bss2 calibrate --chip-id 7 --targets t.json     targets from a JSON object, e.g. {"tau_m_us": 20}
  bss2 calibrate --chip-id 7 --out c.bss2cal --json
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="calibrate all 512 neurons of an emulated chip (calix-style)",
        description="Search CapMem DAC values for every neuron so leak, reset, threshold, "
                    "membrane and synaptic time constants and synaptic strength hit their targets. "
                    "Saves the result in the calibration cache (where the PyNN backend finds it) "
                    "and, with --out, also there; writes a PNG of before/after histograms next to it.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise)")
    parser.add_argument("--ideal", action="store_true", help="the design chip: no fixed-pattern or temporal noise")
    parser.add_argument("--targets", metavar="FILE", help="JSON object of targets (names as CalibrationTargets)")
    parser.add_argument("--out", metavar="PATH", help="also write the calibration file here")
    parser.add_argument("--json", action="store_true", help="end with one JSON line: spreads, failed neurons, seconds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the temporal noise and the search jitter")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from calibration import CalibrationError, CalibrationTargets, calibrate
    from calibration.cache import cache_path
    from calibration.plot import histograms
    from emulator.chip import Emulator

    try:
        targets = CalibrationTargets.from_json_file(args.targets) if args.targets else CalibrationTargets()
        targets.validate()
    except CalibrationError as err:
        print(f"bss2 calibrate: {err}", file=sys.stderr)
        return 2
    chip = Emulator(chip_id=args.chip_id, ideal=args.ideal)
    result = calibrate(chip, targets, progress=True, seed=args.seed)
    paths = [result.save(cache_path(chip.identity, targets))]
    if args.out:
        paths.append(result.save(args.out))
    png = histograms(result, paths[-1].with_suffix(".png"))
    failed = result.failed_neurons
    before, after = result.std_before, result.std_after
    print(f"{chip.identity}: calibration {result.calibration_id} in {result.seconds:.1f} s "
          f"({result.n_runs} runs); {512 - failed.size}/512 neurons reach every target")
    print(f"{'quantity':<18}{'std before':>12}{'std after':>12}{'ratio':>8}")
    for name in before:
        ratio = after[name] / before[name] if before[name] > 0 else float("nan")
        print(f"{name:<18}{before[name]:>12.4g}{after[name]:>12.4g}{ratio:>8.3f}")
    for quantity, neurons in result.failures().items():
        print(f"failed {quantity}: {neurons.size} neurons {neurons.tolist()}")
    for path in paths:
        print(f"saved {path}")
    print(f"saved {png}")
    if args.json:
        print(json.dumps({
            "chip_identity": chip.identity, "calibration_id": result.calibration_id,
            "std_before": {k: before[k] for k in REPORTED}, "std_after": {k: after[k] for k in REPORTED},
            "failed_neurons": failed.tolist(), "seconds": result.seconds,
            "file": str(paths[-1]), "png": str(png)}))
    return 0
