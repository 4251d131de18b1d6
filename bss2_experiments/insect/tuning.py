"""CMA-ES over the global gains (:class:`rate.Gains`), evaluations spread over Dask workers.

Schreiber et al. (arXiv 2401.00473) fine-tuned their BSS-2 circuit with CMA-ES (4800
journeys in 320 generations, 15 journeys per generation). Here each candidate is scored
by journeys on the chip (or the rate model): the loss is the mean closest approach to the
nest while homing divided by the distance at the turning point (0 = every bee reached the
nest, 1 = no bee got closer than where it turned). The search runs on log-gains scaled to
[0, 1] within ``Gains.BOUNDS`` (package ``cma``, Hansen's CMA-ES).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import chip, rate

NAMES = tuple(f.name for f in fields(rate.Gains))


def to_gains(x: np.ndarray) -> rate.Gains:
    """Point of the unit cube -> gains (log-uniform within the bounds)."""
    x = np.clip(np.asarray(x, float), 0.0, 1.0)
    values = {}
    for name, xi in zip(NAMES, x):
        low, high = rate.Gains.BOUNDS[name]
        values[name] = float(np.exp(np.log(low) + xi * (np.log(high) - np.log(low))))
    return rate.Gains(**values)


def to_unit(gains: rate.Gains) -> np.ndarray:
    """Gains -> point of the unit cube (inverse of :func:`to_gains`)."""
    out = []
    for name in NAMES:
        low, high = rate.Gains.BOUNDS[name]
        out.append((np.log(getattr(gains, name)) - np.log(low)) / (np.log(high) - np.log(low)))
    return np.array(out)


def loss(gains: rate.Gains, model: str, n_journeys: int, outbound_steps: int, homing_steps: int, seed: int,
         chip_id: int = 0, settings: chip.ChipSettings | None = None) -> float:
    """Mean of closest approach / turning distance over ``n_journeys`` journeys of
    ``model`` ("chip" or "rate"; ``settings`` of the chip's circuit, default ``ChipSettings()``)."""
    if model == "chip":
        res = chip.run_journeys(gains, n_journeys, outbound_steps, homing_steps, seed=seed, chip_id=chip_id,
                                settings=settings)
        closest, turning = res.closest_approach, res.journeys.turning_distance()
    elif model == "rate":
        j = rate.run_journeys(gains, n_journeys, outbound_steps, homing_steps, seed=seed)
        closest, turning = j.closest_approach(), j.turning_distance()
    else:
        raise ValueError(f"model {model!r}: use 'chip' or 'rate'")
    return float(np.mean(np.minimum(closest / np.maximum(turning, 1.0), 2.0)))


def _evaluate(args: tuple) -> float:
    x, model, n, outbound, homing, seed, chip_id, settings = args
    return loss(to_gains(x), model, n, outbound, homing, seed, chip_id, settings)


@dataclass
class TuningResult:
    best: rate.Gains
    best_loss: float
    history: np.ndarray
    """(generations, 2): best and mean loss per generation"""
    evaluations: int


def tune(start: rate.Gains, generations: int, population: int, journeys: int, outbound_steps: int,
         homing_steps: int, model: str = "chip", seed: int = 0, chip_id: int = 0, map_function=map,
         sigma: float = 0.15, progress=None, settings: chip.ChipSettings | None = None) -> TuningResult:
    """CMA-ES from ``start``; each generation's ``population`` candidates are evaluated with
    ``map_function`` (e.g. :func:`bss2_experiments.distributed.mapper`), each on
    ``journeys`` journeys (the same routes for every candidate of a generation)."""
    import cma
    if generations < 1 or population < 2 or journeys < 1:
        raise ValueError(f"generations {generations}, population {population}, journeys {journeys}: need "
                         f">= 1, >= 2, >= 1")
    es = cma.CMAEvolutionStrategy(to_unit(start), sigma, {"bounds": [0.0, 1.0], "popsize": population,
                                                          "seed": seed + 1, "verbose": -9})
    history = []
    best_x, best_loss = to_unit(start), np.inf
    for g in range(generations):
        xs = es.ask()
        args = [(np.asarray(x), model, journeys, outbound_steps, homing_steps, seed + 7919 * g, chip_id, settings)
                for x in xs]
        losses = list(map_function(_evaluate, args))
        es.tell(xs, losses)
        k = int(np.argmin(losses))
        if losses[k] < best_loss:
            best_x, best_loss = np.asarray(xs[k]), float(losses[k])
        history.append((float(np.min(losses)), float(np.mean(losses))))
        if progress is not None:
            progress(g, history[-1])
    return TuningResult(to_gains(best_x), best_loss, np.array(history), generations * population)
