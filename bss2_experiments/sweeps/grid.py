"""What a sweep runs: every combination of the swept values (times seeds) as one task.

``--param name=v1,v2`` names an option of the experiment by its dest or flag
(``pretrain_epochs`` or ``pretrain-epochs``); values stay strings and reach the
experiment through its own parser, so its types and choices apply (checked for every
task before any runs). Flags (``store_true``) take ``true``/``false``.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field

from .experiments import CONTROLLED, ExperimentError, experiment_parser, option_actions, option_string, parse

TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class Task:
    """One run: the swept values, the seed (or None) and the experiment's command line."""

    params: dict[str, str]
    seed: int | None
    argv: list[str]

    @property
    def key(self) -> str:
        """A file-name-safe, unique name of the task within its sweep."""
        parts = [f"{k}={v}" for k, v in self.params.items()] + ([f"seed={self.seed}"] if self.seed is not None else [])
        return re.sub(r"[^A-Za-z0-9=.+-]", "_", "__".join(parts)) or "run"


@dataclass
class SweepSpec:
    """A sweep: experiment, swept values (dest -> strings), number of seeds, fixed options."""

    experiment: str
    params: dict[str, list[str]]
    seeds: int | None = None
    fixed_argv: list[str] = field(default_factory=list)
    metric: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SweepSpec":
        return cls(**data)

    def tasks(self) -> list[Task]:
        """Every combination (first parameter slowest, seeds fastest), validated against the
        experiment's parser."""
        parser = experiment_parser(self.experiment)
        actions = option_actions(parser)
        if self.seeds is not None and "seed" not in actions:
            raise ExperimentError(f"experiment {self.experiment} has no --seed option; drop --seeds")
        if self.seeds is not None and "seed" in self.params:
            raise ExperimentError("seed is swept twice: give either --seeds N or --param seed=...")
        if not self.params and self.seeds is None:
            raise ExperimentError("nothing to sweep: give --param name=v1,v2,... and/or --seeds N")
        names = list(self.params)
        seeds = list(range(self.seeds)) if self.seeds is not None else [None]
        tasks = []
        for values in itertools.product(*(self.params[n] for n in names)):
            for seed in seeds:
                argv = list(self.fixed_argv)
                for name, value in zip(names, values):
                    argv += _option_argv(actions[name], value)
                if seed is not None:
                    argv += [option_string(actions["seed"]), str(seed)]
                parse(parser, argv)  # types and choices, before anything runs
                tasks.append(Task(dict(zip(names, values)), seed, argv))
        return tasks


def parse_params(specs: list[str], experiment: str, seeds: int | None = None) -> dict[str, list[str]]:
    """``["epochs=1,2", "dataset=digits"]`` -> ``{"epochs": ["1", "2"], ...}`` with names
    checked against the experiment's options."""
    actions = option_actions(experiment_parser(experiment))
    flags = {option_string(a).lstrip("-"): dest for dest, a in actions.items()}
    params: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        dest = name if name in actions else flags.get(name)
        if not sep or not values.strip():
            raise ExperimentError(f"--param {spec!r}: write name=value1,value2,...")
        if dest is None:
            raise ExperimentError(f"--param {name}: experiment {experiment} has no such option; it has "
                                  + ", ".join(sorted(flags)))
        if dest in CONTROLLED or (dest == "seed" and seeds is not None):
            raise ExperimentError(f"--param {name}: the sweep sets this option itself"
                                  + (" (--seeds)" if dest == "seed" else ""))
        if dest in params:
            raise ExperimentError(f"--param {name} given twice")
        params[dest] = [v.strip() for v in values.split(",") if v.strip()]
    return params


def _option_argv(action, value: str) -> list[str]:
    flag = option_string(action)
    if action.nargs == 0:
        v = value.lower()
        if v not in TRUE + FALSE:
            raise ExperimentError(f"{flag} is a flag: sweep it with values true/false, not {value!r}")
        on = v in TRUE
        store_false = getattr(action, "const", None) is False
        return [flag] if on != store_false else []
    return [flag, value]
