"""The evolutionary loop: mu + lambda with DEAP (toolbox, HallOfFame, Statistics, Logbook).

hal-cgp's ``MuPlusLambda`` as used by Jordan et al. 2021 (eLife 10:e66273): each generation,
``n_offsprings`` children are copies of parents picked by a tournament of size 1 (uniformly),
point-mutated with ``mutation_rate``; the best ``n_parents`` of children + parents survive,
children first so that a neutral mutation replaces its parent (CGP's neutral drift).
Several independent searches (seeds) advance in lockstep so that every generation's
offspring of all seeds go to ``toolbox.map`` together: the two levels of parallelism of
seed section 1.2.3.2 (Figure 24) in one Dask map call per generation.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from deap import base, creator, tools

from . import genome as cgp_genome
from .evaluation import RuleCache, evaluate_program
from .task import TaskConfig

if not hasattr(creator, "RuleFitness"):
    creator.create("RuleFitness", base.Fitness, weights=(1.0,))
    creator.create("RuleIndividual", list, fitness=creator.RuleFitness)


@dataclass(frozen=True)
class EvolutionConfig:
    """hal-cgp's names: ``n_parents`` (mu), ``n_offsprings`` (lambda), ``mutation_rate``,
    ``max_generations``, ``termination_fitness``; defaults of Jordan et al. 2021."""

    n_parents: int = 4
    n_offsprings: int = 4
    mutation_rate: float = 0.045
    max_generations: int = 200
    termination_fitness: float = float("inf")
    genome_params: cgp_genome.GenomeParams = field(default_factory=cgp_genome.GenomeParams)

    def __post_init__(self) -> None:
        if self.n_parents < 1 or self.n_offsprings < 1:
            raise ValueError("n_parents and n_offsprings must be at least 1")
        if not 0 < self.mutation_rate <= 1:
            raise ValueError(f"mutation_rate must lie in (0, 1], got {self.mutation_rate}")
        if self.max_generations < 0:
            raise ValueError(f"max_generations must be >= 0, got {self.max_generations}")


@dataclass
class SearchRun:
    """One seed's search."""

    seed: int
    hall_of_fame: tools.HallOfFame
    logbook: tools.Logbook
    best_fitness: list[float] = field(default_factory=list)
    """Best fitness of the population after each generation (generation 0 = initial)."""

    @property
    def champion(self) -> list[int]:
        return list(self.hall_of_fame[0])


def _toolbox(config: EvolutionConfig, task: TaskConfig, rng: np.random.Generator, map_) -> base.Toolbox:
    params = config.genome_params
    toolbox = base.Toolbox()
    toolbox.register("individual", tools.initIterate, creator.RuleIndividual,
                     functools.partial(cgp_genome.random_genome, params, rng))
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("program", cgp_genome.to_program, params=params)
    toolbox.register("evaluate", evaluate_program, config=task)
    toolbox.register("mutate", cgp_genome.mutate, params=params, mutation_rate=config.mutation_rate, rng=rng)
    toolbox.register("select", tools.selBest)
    toolbox.register("map", map_)
    return toolbox


def _assign(individuals: list, toolboxes: list[base.Toolbox], cache: RuleCache) -> None:
    """Evaluate every individual without a valid fitness (all seeds in one map call)."""
    todo = [(ind, tb) for ind, tb in zip(individuals, toolboxes) if not ind.fitness.valid]
    if not todo:
        return
    programs = [tb.program(ind) for ind, tb in todo]
    results = cache.evaluate(programs, toolboxes[0].evaluate, toolboxes[0].map)
    for (ind, _), result in zip(todo, results):
        ind.fitness.values = (result["fitness"],)


def evolve(seeds: list[int], config: EvolutionConfig, task: TaskConfig, map_, cache: RuleCache | None = None,
           progress: bool = True) -> list[SearchRun]:
    """Run one search per seed, in lockstep; ``map_`` is ``mapper(client)`` (or the builtin
    map). Returns the searches (hall of fame, logbook, best fitness per generation)."""
    from tqdm import tqdm
    cache = cache if cache is not None else RuleCache()
    rngs = [np.random.default_rng(seed) for seed in seeds]
    toolboxes = [_toolbox(config, task, rng, map_) for rng in rngs]
    stats = tools.Statistics(lambda ind: ind.fitness.values[0])
    stats.register("max", np.max)
    stats.register("mean", np.mean)
    runs = [SearchRun(seed, tools.HallOfFame(1), tools.Logbook()) for seed in seeds]
    populations = [tb.population(n=config.n_parents) for tb in toolboxes]
    _assign([i for p in populations for i in p], [tb for tb, p in zip(toolboxes, populations) for _ in p], cache)
    bar = tqdm(total=config.max_generations, desc="generations", disable=not progress)
    for generation in range(config.max_generations + 1):
        if generation > 0:
            offspring = []
            for tb, rng, population in zip(toolboxes, rngs, populations):
                picks = rng.integers(len(population), size=config.n_offsprings)  # tournaments of size 1
                children = [tb.clone(population[int(i)]) for i in picks]
                for child in children:
                    tb.mutate(child)
                    del child.fitness.values
                offspring.append(children)
            _assign([c for o in offspring for c in o], [tb for tb, o in zip(toolboxes, offspring) for _ in o], cache)
            populations = [tb.select(o + p, config.n_parents) for tb, o, p in zip(toolboxes, offspring, populations)]
        for run, population in zip(runs, populations):
            run.hall_of_fame.update(population)
            run.logbook.record(gen=generation, evals=cache.evaluations, **stats.compile(population))
            run.best_fitness.append(float(run.hall_of_fame[0].fitness.values[0]))
        if generation > 0:
            bar.update()
            bar.set_postfix(best=f"{max(r.best_fitness[-1] for r in runs):.3f}", evals=cache.evaluations)
        if all(r.best_fitness[-1] >= config.termination_fitness for r in runs):
            break
    bar.close()
    return runs
