"""``bss2 run cgp``: evolve plasticity rules on the emulated chip (seed sections 1.1.1.7,
1.2.1.5, 1.2.3.2; Jordan et al. 2021, eLife 10:e66273).

Independent searches (seeds) evolve rules f(u_target, u, psp) for the teacher-student task
(:mod:`.task`); every evaluation runs on the chip through the PyNN backend, spread over
Dask workers (:mod:`bss2_experiments.distributed`). Each seed's champion is then run on
held-out teacher weights (and another input realisation): the relative distance of the
student's final weight to the teacher's is the reported ``weight_error``.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dask
import numpy as np

from .. import distributed
from ..results import Provenance, run_folder, save_result
from . import genome as cgp_genome
from .evaluation import RuleCache, evaluate_program, warm_up
from .evolution import EvolutionConfig, SearchRun, evolve
from .task import TaskConfig, weight_trace

WORKER_ALLOCATOR = {"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 32 * 2**20,
                    "distributed.nanny.pre-spawn-environ.MALLOC_TOP_PAD_": 32 * 2**20}
"""glibc malloc settings for local Dask workers. Dask's nanny starts workers with
``MALLOC_TRIM_THRESHOLD_=65536``, which also turns off glibc's dynamic mmap threshold: every
array above 128 KiB is then mapped, page-faulted and unmapped afresh, and an evaluation costs
about twice the CPU time (measured 71-74 ms against 35-39 ms in a plain process). A 32 MiB
mmap threshold and top pad keep the emulator's arrays on the heap (34 ms) while Dask still
trims what lies beyond."""

HELD_OUT = TaskConfig(teacher_weights_na=((0.45,), (0.7,), (0.95,)), input_seed=1)
"""Teacher weights between and beyond the training ones, another Poisson input."""


@dataclass(frozen=True)
class CGPConfig:
    seeds: tuple[int, ...] = (0, 1, 2)
    evolution: EvolutionConfig = field(default_factory=EvolutionConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    held_out: TaskConfig = HELD_OUT
    n_workers: int | None = None
    """Local Dask workers (default: one per core); ignored with ``scheduler``."""
    scheduler: str | None = None


@dataclass
class CGPResult:
    config: CGPConfig
    runs: list[SearchRun]
    expressions: list[str]
    programs: list[tuple]
    held_out_error: np.ndarray
    """(n_seeds, n_synapses) |w_final - w_teacher| / w_teacher of each champion on held-out weights."""
    held_out_fitness: np.ndarray
    traces: tuple[np.ndarray, np.ndarray]
    """Times (ms) and (n_points + 1, n_pairs, n_inputs) weights of the best champion on held-out weights."""
    evaluations: int
    evaluations_per_second: float
    wall_seconds: float
    cache: RuleCache

    @property
    def best(self) -> int:
        """Index of the seed whose champion has the smallest held-out weight error."""
        return int(np.argmin(self.held_out_error.max(axis=1)))

    def summary(self) -> dict:
        b = self.best
        return {
            "champion": self.expressions[b],
            "champion_program": [list(n) for n in self.programs[b]],
            "weight_error": float(self.held_out_error[b].max()),
            "weight_error_per_seed": self.held_out_error.max(axis=1).tolist(),
            "expressions": self.expressions,
            "training_fitness": [r.best_fitness[-1] for r in self.runs],
            "held_out_fitness": self.held_out_fitness.tolist(),
            "generations": len(self.runs[0].best_fitness) - 1,
            "evaluations": self.evaluations,
            "evaluations_per_second": self.evaluations_per_second,
            "cpu_seconds_per_evaluation": self.cache.cpu_seconds_per_evaluation,
            "wall_seconds": self.wall_seconds,
            "config": _jsonable(asdict(self.config)),
        }

    def save(self, base: str | Path = "runs") -> Path:
        from .plots import figure
        folder = run_folder(base, "cgp")
        arrays = {"best_fitness": np.array([r.best_fitness for r in self.runs]),
                  "held_out_error": self.held_out_error, "trace_times_ms": self.traces[0],
                  "trace_weights_na": self.traces[1],
                  "trace_teacher_na": np.asarray(self.config.held_out.pairs()[0]), **self.cache.to_arrays()}
        task = self.config.task
        provenance = Provenance(backend="emulator", chip_id=task.chip_id, seed=self.config.seeds[0],
                                calibration_id="auto (cached per chip and targets)")
        fig = figure(self)
        save_result(folder, "cgp", provenance, self.summary(), arrays, fig)
        return folder


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def run(config: CGPConfig, progress: bool = True) -> CGPResult:
    """Evolve from every seed (lockstep, one Dask map per generation), then test each
    champion on held-out teacher weights and trace the best one's weights."""
    t0 = time.perf_counter()
    cache = RuleCache()
    params = config.evolution.genome_params
    with dask.config.set(WORKER_ALLOCATOR), distributed.dask_client(config.scheduler, config.n_workers) as client:
        client.run(warm_up, config.task)
        runs = evolve(list(config.seeds), config.evolution, config.task, distributed.mapper(client), cache, progress)
        programs = [cgp_genome.to_program(r.champion, params) for r in runs]
        held = distributed.mapper(client)(evaluate_program, programs, [config.held_out] * len(programs))
    errors = np.array([np.ravel(h["weight_error"]) for h in held])
    best = int(np.argmin(errors.max(axis=1)))
    traces = weight_trace(programs[best], config.held_out)
    return CGPResult(config, runs, [str(cgp_genome.to_sympy(r.champion, params)) for r in runs], programs, errors,
                     np.array([h["fitness"] for h in held]), traces, cache.evaluations,
                     cache.evaluations_per_second, time.perf_counter() - t0, cache)


def throughput(n_workers: list[int], n_programs: int = 200, seed: int = 0, task: TaskConfig | None = None,
               scheduler: str | None = None) -> dict[int, dict[str, float]]:
    """Evaluations per second of ``n_programs`` random rules for each local cluster size,
    after every worker built the task's network (:func:`.evaluation.warm_up`), and the
    mean CPU seconds per evaluation the workers measured (``task``: default :class:`TaskConfig`)."""
    task = task if task is not None else TaskConfig()
    params = cgp_genome.GenomeParams()
    rng = np.random.default_rng(seed)
    programs = [cgp_genome.to_program(cgp_genome.random_genome(params, rng), params) for _ in range(n_programs)]
    rates = {}
    for n in n_workers:
        with dask.config.set(WORKER_ALLOCATOR), distributed.dask_client(scheduler, n) as client:
            client.run(warm_up, task)
            t0 = time.perf_counter()
            results = distributed.mapper(client)(evaluate_program, programs, [task] * n_programs)
            rates[n] = {"evaluations_per_second": n_programs / (time.perf_counter() - t0),
                        "cpu_seconds_per_evaluation": float(np.mean([r["cpu_seconds"] for r in results]))}
    return rates
