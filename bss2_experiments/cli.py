"""The ``bss2`` command line: one entry point, one module per subcommand.

Every module in :mod:`bss2_experiments.commands` exposes ``register(subparsers)``, which
adds its subparser and sets ``func`` (called with the parsed arguments, returns an exit
code).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands

EXAMPLES = """examples:
  bss2 demo                      drive one emulated neuron, print and plot its spikes
  bss2 demo --chip-id 7 --ideal  the same on another emulated chip, without noise
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bss2", description="Neuromorphic experiments on BrainScaleS-2 and its emulator.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bss2-suite {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .energy_model import CHIP_ACTIVITY   # a command's saved results report its own chip activity only
    CHIP_ACTIVITY.reset()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
