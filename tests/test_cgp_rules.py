"""Evolving plasticity rules on the emulated chip (bss2_experiments.cgp_rules): the task,
the cache, the DEAP loop, Dask workers that die, the command line."""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from bss2_experiments import distributed
from bss2_experiments.cgp_rules import cli
from bss2_experiments.cgp_rules import genome as G
from bss2_experiments.cgp_rules.evaluation import RuleCache, evaluate_program
from bss2_experiments.cgp_rules.evolution import EvolutionConfig, evolve
from bss2_experiments.cgp_rules.task import TaskConfig, TeacherStudent, evaluate
from ppu_firmware import cgp

DELTA = (("sub", "target", "membrane"), ("mul", 6, "psp"))


def test_delta_rule_learns_the_teacher_weight_and_a_constant_rule_does_not() -> None:
    """(u_target - u) * psp drives every student to within 10 % of its teacher and matches
    the membranes to < 1 mV; dw = 1 (const) runs the weights to the top, dw = 0 keeps them."""
    task = TaskConfig()
    delta = evaluate_program(DELTA, task)
    constant = evaluate_program((("const", 0, 0),), task)
    zero = evaluate_program((("sub", "membrane", "membrane"),), task)
    assert delta["fitness"] > -1.0
    assert np.max(delta["weight_error"]) < 0.10
    teacher, initial = task.pairs()
    assert constant["fitness"] < -5.0 and np.min(constant["final_weights_na"]) > teacher.max()
    assert zero["fitness"] < -5.0
    np.testing.assert_allclose(zero["final_weights_na"], initial, rtol=0.05)


def test_with_two_inputs_the_presynaptic_factor_is_what_assigns_credit() -> None:
    """Two independent inputs, teachers with unequal weights: (u_target - u) * psp tells the
    synapses apart, (u_target - u) * u (same sign, no presynaptic factor) cannot."""
    task = TaskConfig(teacher_weights_na=((0.3, 0.8), (0.8, 0.3), (0.55, 0.55)), initial_weights_na=(0.1, 1.0),
                      rates_hz=(400.0, 400.0), period_ms=30.0, eta_shift=3)
    with_psp = evaluate_program(DELTA, task)
    without = evaluate_program((("sub", "target", "membrane"), ("mul", 6, "membrane")), task)
    assert np.shape(with_psp["final_weights_na"]) == (6, 2)
    assert with_psp["fitness"] > -2.0 > -4.0 > without["fitness"]
    assert np.mean(with_psp["weight_error"]) < 0.5 * np.mean(without["weight_error"])


def test_a_rule_on_the_compiled_network_measures_what_a_pynn_run_measures() -> None:
    """A rule run through the chip interface on the once-compiled network (only the PPU
    program replaced) gives, bit for bit, the weights and membranes of a PyNN run() of the
    network with that rule and the same noise seed; its nA weights are PyNN's."""
    import bss2_experiments.pynn as sim
    config = TaskConfig(duration_ms=400.0, input_seed=3)
    net = TeacherStudent(config)
    net.program[:] = DELTA  # the PyNN rule's parameters read the network's program
    sim.run(config.duration_ms)
    pynn_result = sim.simulator.state.last_run[1]
    pynn_weights = np.stack([p.get("weight", format="array").ravel() for p in net.plastic], axis=1)
    assert np.max(np.abs(pynn_weights - net.initial_w)) > 0.05  # the rule changed the weights
    np.testing.assert_allclose(net.student_weights(pynn_result.plasticity.weights[0]), pynn_weights, rtol=1e-12)
    again = net.run(DELTA, seed=pynn_result.seed)
    np.testing.assert_array_equal(again.plasticity.weights, pynn_result.plasticity.weights)
    for population, membrane in zip((net.teachers, net.students), net.membranes(again)):
        np.testing.assert_array_equal(population.get_data("v").segments[-1].analogsignals[0].magnitude, membrane)
    # the evaluation reuses the compiled network: same rule, same result; other rules do not disturb it
    first = evaluate(DELTA, config)
    evaluate((("const", 0, 0),), config)
    assert evaluate(DELTA, config).fitness == first.fitness


def test_cache_runs_each_distinct_program_once() -> None:
    calls = []

    def counting_map(function, programs):
        calls.extend(programs)
        return [{"fitness": -float(len(p))} for p in programs]

    cache = RuleCache()
    a, b = (("const", 0, 0),), DELTA
    assert [r["fitness"] for r in cache.evaluate([a, b, a], None, counting_map)] == [-1.0, -2.0, -1.0]
    assert [r["fitness"] for r in cache.evaluate([b, a], None, counting_map)] == [-2.0, -1.0]
    assert calls == [a, b] and cache.evaluations == 2
    real = RuleCache()
    real.evaluate([a, a], functools.partial(evaluate_program, config=TaskConfig()), map)
    assert real.evaluations == 1 and 0 < real.cpu_seconds == real.cpu_seconds_per_evaluation


def _surrogate_map(function, programs):
    """Scores programs against (u_target - u) * psp on fixed-point sample inputs (no chip)."""
    rng = np.random.default_rng(0)
    inputs = {"target": rng.integers(0, 256, 64), "membrane": rng.integers(0, 256, 64), "psp": rng.integers(0, 64, 64)}
    goal = cgp.evaluate(DELTA, inputs, G.CONSTANTS_Q8, 3)
    return [{"fitness": -float(np.mean(np.abs(cgp.evaluate(p, inputs, G.CONSTANTS_Q8, 3) - goal)))} for p in programs]


def test_mu_plus_lambda_keeps_the_best_and_improves() -> None:
    config = EvolutionConfig(max_generations=60)
    cache = RuleCache()
    runs = evolve([0, 1], config, TaskConfig(), _surrogate_map, cache, progress=False)
    for run in runs:
        assert len(run.best_fitness) == 61 and len(run.logbook) == 61
        assert np.all(np.diff(run.best_fitness) >= 0)  # elitist: the best never gets lost
        assert run.best_fitness[-1] > run.best_fitness[0]
        assert run.hall_of_fame[0].fitness.values[0] == run.best_fitness[-1]
    # at most 4 (initial) + 60 x 4 evaluations per seed; repeats come from the cache
    assert cache.evaluations <= 2 * (4 + 60 * 4)
    assert runs[0].champion != runs[1].champion or runs[0].best_fitness != runs[1].best_fitness


def _die_once(program, marker: str) -> dict:
    """Kills its worker process the first time it sees the marker-named program."""
    if program == ("die",) and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return {"fitness": float(len(program[0]))}


def test_a_worker_that_dies_mid_run_loses_no_results(tmp_path: Path) -> None:
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    programs = [("a",), ("bb",), ("die",), ("dddd",), ("eeeee",), ("ffffff",)]
    cache = RuleCache()
    cache.evaluate([("zz",)], lambda p: _die_once(p, ""), lambda f, ps: [f(p) for p in ps])
    with distributed.dask_client(n_workers=2) as client:
        marker = str(tmp_path / "died")
        results = cache.evaluate(programs, lambda p: _die_once(p, marker), distributed.mapper(client))
    assert os.path.exists(marker)  # a worker really died
    assert [r["fitness"] for r in results] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert cache.evaluations == 7 and cache.results[("zz",)]["fitness"] == 2.0


def test_command_line_refuses_bad_arguments() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--generations", "7", "--seeds", "2", "--throughput", "1,2"])
    assert (args.generations, args.seeds, args.throughput) == (7, 2, [1, 2])
    for bad in (["--seeds", "0"], ["--generations", "-1"], ["--throughput", "1,x"], ["--workers", "0"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    with pytest.raises(ValueError, match=r"one weight per input \(2 rates_hz\)"):
        TaskConfig(rates_hz=(100.0, 100.0)).validate()
    with pytest.raises(ValueError, match=r"fewer than 4 kernel calls"):
        TaskConfig(duration_ms=100.0).validate()
    with pytest.raises(ValueError, match=r"mutation_rate must lie in"):
        EvolutionConfig(mutation_rate=0.0)


@pytest.mark.slow
def test_search_finds_a_rule_that_learns_held_out_teacher_weights(tmp_path: Path) -> None:
    """One seed, 200 generations on one Dask worker (~300 evaluations): the champion is of the delta-rule family
    (dw has the sign of u_target - u), matches held-out membranes to < 1 mV and
    brings every student within 10 % of its held-out teacher weight; the run is saved."""
    import json

    from bss2_experiments.cgp_rules.experiment import CGPConfig, run
    result = run(CGPConfig(seeds=(2,), evolution=EvolutionConfig(max_generations=200), n_workers=1), progress=False)
    summary = result.summary()
    assert summary["weight_error"] < 0.10 and result.held_out_fitness[0] > -1.0
    # the delta-rule family: dw has the sign of u_target - u over the task's range (kernel units)
    import sympy
    f = sympy.lambdify(sympy.symbols(G.INPUT_NAMES), sympy.sympify(summary["champion"]), "numpy")
    u, u_target, psp = np.meshgrid(np.linspace(0.3, 0.5, 5), np.linspace(0.3, 0.5, 5), np.linspace(0.05, 0.3, 3))
    sign = np.sign(np.broadcast_to(f(u_target, u, psp), u.shape))
    assert np.all(sign[u_target > u] > 0) and np.all(sign[u_target < u] < 0)
    assert result.runs[0].best_fitness[-1] > result.runs[0].best_fitness[0] + 5.0
    folder = result.save(tmp_path)
    saved = json.loads((folder / "cgp.json").read_text())
    assert saved["summary"]["champion"] == summary["champion"] and (folder / "cgp.png").is_file()
    assert np.load(folder / "cgp.npz")["best_fitness"].shape == (1, 201)
