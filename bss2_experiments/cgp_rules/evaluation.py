"""Evaluating rules on the chip, in worker processes, with a cache.

:func:`evaluate_program` is what DEAP's ``toolbox.evaluate`` points at and what the Dask
workers run: each worker process builds and compiles the task's PyNN network once
(:func:`.task.task`) and runs every rule on it with the same input and noise seed, so the
result is a function of the rule and the task. :class:`RuleCache` sends each
distinct program to ``toolbox.map`` once (programs are the cache key: genomes with the same
active graph are the same rule) and keeps every result it got back.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from .task import TaskConfig, evaluate, task

Program = tuple


def evaluate_program(program: Program, config: TaskConfig) -> dict:
    """Fitness and weights of ``program`` on the teacher-student task ``config``, and the
    CPU seconds the evaluation took in its process (``time.process_time``; the first
    evaluation of a task in a process includes building its network)."""
    t0 = time.process_time()
    ev = evaluate(program, config)
    return {"fitness": ev.fitness, "final_weights_na": ev.final_weights_na.tolist(),
            "weight_error": ev.weight_error.tolist(), "cpu_seconds": time.process_time() - t0}


def warm_up(config: TaskConfig) -> None:
    """Build and compile the task's network in this process (e.g. on every Dask worker
    through ``client.run``) so that later evaluations measure only the rules."""
    task(config)


class RuleCache:
    """Results by program; ``evaluate`` sends only unseen programs to ``map``."""

    def __init__(self) -> None:
        self.results: dict[Program, dict] = {}
        self.evaluations = 0
        self.seconds = 0.0
        """Wall time spent in ``map`` calls (the chip evaluations)."""
        self.cpu_seconds = 0.0
        """CPU time the evaluations reported (``cpu_seconds`` of each result, summed)."""

    def evaluate(self, programs: Sequence[Program], evaluate: Callable[[Program], dict],
                 map_: Callable[..., list]) -> list[dict]:
        todo = list(dict.fromkeys(p for p in programs if p not in self.results))
        if todo:
            t0 = time.perf_counter()
            for program, result in zip(todo, map_(evaluate, todo)):
                self.results[program] = result
                self.cpu_seconds += result.get("cpu_seconds", 0.0)
            self.seconds += time.perf_counter() - t0
            self.evaluations += len(todo)
        return [self.results[p] for p in programs]

    @property
    def evaluations_per_second(self) -> float:
        return self.evaluations / self.seconds if self.seconds > 0 else float("nan")

    @property
    def cpu_seconds_per_evaluation(self) -> float:
        return self.cpu_seconds / self.evaluations if self.evaluations else float("nan")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """All evaluated rules: their program text and fitness (for the saved result)."""
        return {"cache_programs": np.array([repr(p) for p in self.results]),
                "cache_fitness": np.array([r["fitness"] for r in self.results.values()])}
