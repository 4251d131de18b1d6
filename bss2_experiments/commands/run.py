"""``bss2 run EXPERIMENT ...``: run one experiment, save its result, print a summary.

Every experiment is a package ``bss2_experiments.<name>`` with a ``cli`` module that
imports only argparse at load time and exposes ``SUMMARY`` (one line), ``EXAMPLES``
(lines for ``bss2 run --help``), optionally ``NAME`` (the command name when it differs
from the package's) and ``ALIASES`` (other accepted names), ``add_arguments(parser)`` and
``main(args) -> int``;
the experiment itself is imported when it runs. The packages are discovered, so adding
an experiment touches no shared file.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import bss2_experiments

EXPERIMENT_ORDER = ("ttfs",)
"""Experiments listed first in help texts (the main job); the rest follow by name."""


def experiment_clis() -> dict[str, ModuleType]:
    """name -> cli module of every experiment package, main job first."""
    found = {}
    for info in pkgutil.iter_modules(bss2_experiments.__path__):
        # look for the file: importing a package to ask would load it (pyNN for .pynn)
        if info.ispkg and (Path(info.module_finder.path) / info.name / "cli.py").is_file():
            cli = importlib.import_module(f"bss2_experiments.{info.name}.cli")
            found[getattr(cli, "NAME", info.name)] = cli
    ordered = [n for n in EXPERIMENT_ORDER if n in found] + sorted(n for n in found if n not in EXPERIMENT_ORDER)
    return {name: found[name] for name in ordered}


def aliases(cli: ModuleType) -> list[str]:
    """Other names an experiment answers to (its cli's optional ``ALIASES``)."""
    return list(getattr(cli, "ALIASES", ()))


def find_experiment(name: str) -> ModuleType | None:
    """The cli module of the experiment called ``name`` or aliased so; None if there is none."""
    for command, cli in experiment_clis().items():
        if name == command or name in aliases(cli):
            return cli
    return None


def register(subparsers) -> None:
    clis = experiment_clis()
    examples = "examples:\n" + "".join(cli.EXAMPLES for cli in clis.values())
    parser = subparsers.add_parser("run", help="run an experiment (" + ", ".join(clis) + ")",
                                   description="Run an experiment and save JSON + NPZ + PNG results.",
                                   epilog=examples, formatter_class=argparse.RawDescriptionHelpFormatter)
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for name, cli in clis.items():
        sub = experiments.add_parser(name, aliases=aliases(cli), help=cli.SUMMARY,
                                     description=cli.SUMMARY)
        cli.add_arguments(sub)
        sub.set_defaults(func=cli.main)
