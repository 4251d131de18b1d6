"""``bss2 bench NAME [ARGS ...]``: run one of the benchmarks in ``benchmarks/`` (emulator
speed, emulator vs NEST/Brian2 on the same PyNN script, calibration, TTFS inference).

The benchmarks ship with the source checkout, not with the installed package: this
command runs ``python -m benchmarks.NAME ARGS`` from the checkout the suite was
installed from (``pip install -e .``) and says so when there is none.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXAMPLES = """examples:
  bss2 bench emulator                          full chip and 1000-trial batch, wall time
  bss2 bench peers --backends emulator nest    the same PyNN scripts on the emulator and NEST
  bss2 bench peers --help                      a benchmark's own options
"""


def benchmarks_dir() -> Path:
    """``benchmarks/`` next to the installed packages (an editable install's checkout)."""
    import bss2_experiments
    return Path(bss2_experiments.__file__).resolve().parent.parent / "benchmarks"


def available() -> list[str]:
    folder = benchmarks_dir()
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")) if folder.is_dir() else []


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark of benchmarks/ (speed vs NEST/Brian2)",
                                   description=__doc__.splitlines()[0], epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="benchmark: " + (", ".join(available()) or "none found (no source checkout)"))
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed on to the benchmark")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = available()
    if not names:
        print(f"no benchmarks at {benchmarks_dir()}: they ship with the source checkout; clone the repository and "
              f"install it with `pip install -e .`", file=sys.stderr)
        return 2
    if args.name not in names:
        print(f"unknown benchmark {args.name!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, "-m", f"benchmarks.{args.name}", *args.args],
                           cwd=benchmarks_dir().parent)
