"""``bss2 list``: what this installation offers: experiments, backends, PPU kernels and
the calibrations in the cache."""
from __future__ import annotations

import argparse
import json

TOPICS = ("experiments", "backends", "kernels", "calibrations")

EXAMPLES = """examples:
  bss2 list                     everything
  bss2 list calibrations        cached calibrations: chip, id, date, failed neurons
  bss2 list kernels --json      PPU kernels and their parameters as one JSON object
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("list", help="list experiments, backends, PPU kernels, cached calibrations",
                                   description=__doc__.splitlines()[0], epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic", nargs="?", choices=TOPICS, help="one topic (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def experiments() -> dict[str, str]:
    from .run import experiment_clis
    return {name: cli.SUMMARY for name, cli in experiment_clis().items()}


def backends() -> dict[str, str]:
    from bss2_experiments.backends import BACKENDS
    notes = {"emulator": "the emulated chip (default)", "nest": "NEST reference simulator",
             "brian2": "Brian2 reference simulator", "hardware": "a lab-attached chip via pynn_brainscales"}
    return {name: notes.get(name, "") for name in BACKENDS}


def kernels() -> dict[str, dict]:
    from ppu_firmware.registry import KERNELS
    return {name: {"doc": spec.doc, "parameters": [p.name for p in spec.parameters]} for name, spec in KERNELS.items()}


def calibrations() -> dict[str, dict]:
    """Cached calibration files -> chip, id, date, failed neurons; unreadable files say why."""
    from calibration.cache import SUFFIX, default_cache_dir
    from calibration.errors import CalibrationError
    from calibration.result import CalibrationResult

    found = {}
    for path in sorted(default_cache_dir().glob(f"*{SUFFIX}")):
        try:
            result = CalibrationResult.load(path)
        except CalibrationError as error:
            found[str(path)] = {"error": str(error)}
            continue
        found[str(path)] = {"chip": result.chip_identity, "calibration_id": result.calibration_id,
                            "created_utc": result.created_utc, "suite_version": result.suite_version,
                            "failed_neurons": int(result.failed_neurons.size)}
    return found


def run(args: argparse.Namespace) -> int:
    listers = {"experiments": experiments, "backends": backends, "kernels": kernels, "calibrations": calibrations}
    topics = [args.topic] if args.topic else list(TOPICS)
    listing = {topic: listers[topic]() for topic in topics}
    if args.json:
        print(json.dumps(listing))
        return 0
    for topic, entries in listing.items():
        print(f"{topic}:")
        if not entries:
            print("  (none)")
        for name, value in entries.items():
            if isinstance(value, str):
                print(f"  {name:<14s} {value}")
            elif "doc" in value:
                print(f"  {name:<14s} {value['doc']}")
            elif "error" in value:
                print(f"  {name}\n      unreadable: {value['error']}")
            else:
                print(f"  {value['chip']:<16s} {value['calibration_id']}  {value['created_utc']}  "
                      f"failed neurons: {value['failed_neurons']}  ({name})")
    return 0
