"""Running any experiment through its command-line module, as ``bss2 run`` does.

An experiment is a cli module (``SUMMARY``, ``EXAMPLES``, ``add_arguments(parser)``,
``main(args) -> int``, a ``--json`` flag whose last stdout line is one JSON summary object):
a package discovered by :func:`bss2_experiments.commands.run.experiment_clis`, or any
importable module given by its dotted path (your own experiment outside the suite).
Sweeps and ``bss2 submit`` describe a run as ``(experiment, argv)`` -- plain strings that
pickle to Dask workers and go into job scripts -- and nothing here knows a particular
experiment.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import threading
from types import ModuleType

from bss2_experiments.energy_model import CHIP_ACTIVITY

_ONE_AT_A_TIME = threading.Lock()
"""stdout and PyNN's simulator state are per process: a process runs one experiment at a
time (a Dask worker with several threads runs its tasks one after another)."""

CONTROLLED = ("json", "no_progress", "out")
"""Options the caller sets for every run (summary on stdout, no bars, its own folder)."""


class ExperimentError(RuntimeError):
    """An experiment could not be run as asked (bad name, options, exit code, output)."""


def experiment_cli(name: str) -> ModuleType:
    """The cli module of experiment ``name`` (a ``bss2 run`` name or a dotted module path)."""
    from bss2_experiments.commands.run import experiment_clis, find_experiment
    found = find_experiment(name)
    if found is not None:
        return found
    if "." in name:
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            raise ExperimentError(f"cannot import experiment module {name!r}: {err}") from err
        missing = [a for a in ("add_arguments", "main") if not hasattr(module, a)]
        if missing:
            raise ExperimentError(f"{name} is no experiment cli: it lacks {', '.join(missing)}")
        return module
    raise ExperimentError(f"unknown experiment {name!r}; choose one of {', '.join(experiment_clis())} "
                          "(or give the dotted path of a module with add_arguments/main)")


def experiment_parser(name: str) -> argparse.ArgumentParser:
    """A fresh parser holding only the options of experiment ``name``."""
    parser = argparse.ArgumentParser(prog=f"bss2 run {name}", add_help=False)
    experiment_cli(name).add_arguments(parser)
    return parser


def option_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """dest -> action of every option (not positional, not help) of ``parser``."""
    return {a.dest: a for a in parser._actions
            if a.option_strings and not isinstance(a, (argparse._HelpAction, argparse._VersionAction))}


def option_string(action: argparse.Action) -> str:
    """The long form of an option (``--pretrain-epochs``)."""
    return max(action.option_strings, key=len)


def argv_from_namespace(parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                        skip: tuple[str, ...] = ()) -> list[str]:
    """The command line that gives ``namespace``'s values of ``parser``'s options, leaving out
    defaults and the dests in ``skip``; checked by parsing it back."""
    argv: list[str] = []
    for dest, action in option_actions(parser).items():
        if dest in skip or not hasattr(namespace, dest):
            continue
        value = getattr(namespace, dest)
        if value == action.default:
            continue
        flag = option_string(action)
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._StoreConstAction)):
            argv.append(flag)
        elif isinstance(action, argparse._CountAction):
            argv.extend([flag] * int(value))
        elif isinstance(action, argparse._AppendAction):
            for item in value:
                argv.extend([flag, *(map(str, item) if isinstance(item, (list, tuple)) else [str(item)])])
        elif isinstance(value, (list, tuple)):
            argv.extend([flag, *map(str, value)])
        else:
            argv.extend([flag, str(value)])
    back = parse(parser, argv)
    for dest in option_actions(parser):
        if dest not in skip and hasattr(namespace, dest) and getattr(back, dest) != getattr(namespace, dest):
            raise ExperimentError(f"option {dest} = {getattr(namespace, dest)!r} does not survive a round trip "
                                  f"through the command line ({argv})")
    return argv


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, raising :class:`ExperimentError` with argparse's message
    instead of exiting."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return parser.parse_args(argv)
    except SystemExit:
        message = err.getvalue().strip().splitlines()
        raise ExperimentError(f"{parser.prog} {' '.join(argv)}: {message[-1] if message else 'invalid options'}") \
            from None


def run_experiment(name: str, argv: list[str], out: str) -> dict:
    """Run experiment ``name`` with ``argv`` in this process, results under ``out``; returns the
    JSON summary of its last stdout line. Raises :class:`ExperimentError` on a non-zero exit
    code or a last line that is not one JSON object (with the output's tail)."""
    cli = experiment_cli(name)
    parser = experiment_parser(name)
    actions = option_actions(parser)
    if "json" not in actions:
        raise ExperimentError(f"experiment {name} has no --json flag: sweeps and jobs read its summary from it")
    controlled = ["--json"] + (["--no-progress"] if "no_progress" in actions else []) \
        + ([option_string(actions["out"]), str(out)] if "out" in actions else [])
    args = parse(parser, list(argv) + controlled)
    stdout, stderr = io.StringIO(), io.StringIO()
    with _ONE_AT_A_TIME, contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        CHIP_ACTIVITY.reset()   # the task's energy block covers this run only, not the worker's earlier tasks
        code = int(cli.main(args) or 0)
    lines = [line for line in stdout.getvalue().splitlines() if line.strip()]
    tail = "\n".join((lines + stderr.getvalue().splitlines())[-5:])
    if code != 0:
        raise ExperimentError(f"bss2 run {name} {' '.join(argv)} exited with {code}:\n{tail}")
    try:
        summary = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        summary = None
    if not isinstance(summary, dict):
        raise ExperimentError(f"bss2 run {name} --json printed no JSON object on its last line:\n{tail}")
    return summary
