"""Wall-clock comparison of the emulator with NEST and Brian2 on the same PyNN scripts.

(a) the full chip: 256 inputs (pre-drawn 10 Hz Poisson trains) -> 512 IF_curr_exp,
    all-to-all (131,072 synapses), weights U(0, 0.15) nA, 1 s biological, dt = 0.1 ms.
(b) 1000 independent trials of a 4x5-120-3 network (Yin-Yang-like: 5 input channels at
    2 + 20 * {x, y, 1-x, 1-y, 0} ms, each repeated 4 times = 20 inputs; tau_m = tau_syn =
    5 ms, cm = 0.2 nF; signed weights as excitatory and inhibitory projections), 40 ms each.
    Emulator: ``run_batch`` (truly independent trials on the batch dimension). Peers:
    ``run_batch(independent=False)`` (all trials back to back in one run, their fastest
    PyNN pattern, not isolated) and, with ``--independent N``, N trials with reset()
    between them (isolated; extrapolate to 1000).

Every case runs in a fresh process (as a user would run a script); the emulator's
calibration comes from its cache (run once beforehand to fill it; the first ever run
also calibrates). Usage::

    python -m benchmarks.peers                 # all backends, both cases
    python -m benchmarks.peers --backends emulator nest --cases a
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SEED = 1234
N_TRIALS = 1000
TRIAL_MS = 40.0
REPEAT = 4
N_HIDDEN, N_OUT = 120, 3


def full_chip(sim) -> dict:
    """Case (a). Returns phase times (s) and the output spike count."""
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, seed=SEED)
    # on the 0.1 ms grid, at most one spike per step (Brian2's SpikeGeneratorGroup needs that)
    trains = [np.unique(np.round(rng.uniform(0.1, 1000.0, rng.poisson(10.0)), 1)) for _ in range(256)]
    inputs = sim.Population(256, sim.SpikeSourceArray(spike_times=trains))
    neurons = sim.Population(512, sim.IF_curr_exp())
    weights = sim.RandomDistribution("uniform", (0.0, 0.15), rng=sim.NumpyRNG(seed=SEED))
    sim.Projection(inputs, neurons, sim.AllToAllConnector(), sim.StaticSynapse(weight=weights))
    neurons.record("spikes")
    t1 = time.perf_counter()
    sim.run(1000.0)
    t2 = time.perf_counter()
    n_spikes = sum(len(st) for st in neurons.get_data("spikes").segments[0].spiketrains)
    t3 = time.perf_counter()
    sim.end()
    return {"build": t1 - t0, "run": t2 - t1, "get_data": t3 - t2, "spikes": n_spikes}


def yin_yang_trials(n: int, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Input spike times (ms from the trial start) of ``n`` samples, 20 inputs each."""
    x, y = rng.uniform(0.0, 1.0, (2, n))
    channels = np.stack([x, y, 1 - x, 1 - y, np.zeros(n)], axis=1)  # (n, 5)
    times = 2.0 + 20.0 * np.repeat(channels, REPEAT, axis=1)  # (n, 20)
    return [[np.array([t]) for t in row] for row in times]


def batch(sim, backend: str, n_trials: int, independent: bool) -> dict:
    """Case (b). Returns phase times (s) and the hidden / output spike counts."""
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    # emulator: hidden layer in hemisphere 0, outputs in hemisphere 1 (rows per hemisphere)
    sim.setup(timestep=0.1, seed=SEED,
              neuronPermutation=list(range(N_HIDDEN)) + list(range(256, 256 + N_OUT)))
    cell = dict(tau_m=5.0, tau_syn_E=5.0, tau_syn_I=5.0, cm=0.2, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                tau_refrac=1.0)
    inputs = sim.Population(5 * REPEAT, sim.SpikeSourceArray())
    hidden = sim.Population(N_HIDDEN, sim.IF_curr_exp(**cell))
    out = sim.Population(N_OUT, sim.IF_curr_exp(**cell))
    for pre, post, scale in ((inputs, hidden, 0.4), (hidden, out, 0.15)):
        w = rng.normal(0.25 * scale, scale, (pre.size, post.size))
        for receptor, sign in (("excitatory", 1.0), ("inhibitory", -1.0)):
            mask = sign * w > 0
            sim.Projection(pre, post, sim.ArrayConnector(mask), sim.StaticSynapse(weight=np.where(mask, w, 0.0)),
                           receptor_type=receptor)
    trials = yin_yang_trials(n_trials, rng)
    t1 = time.perf_counter()
    if backend == "emulator":
        result = sim.run_batch(TRIAL_MS, inputs={inputs: trials})
    else:
        result = sim.run_batch(TRIAL_MS, inputs={inputs: trials}, outputs=[hidden, out], independent=independent)
    t2 = time.perf_counter()
    counts = [int(result.spike_counts(p).sum()) for p in (hidden, out)]
    sim.end()
    return {"build": t1 - t0, "run": t2 - t1, "spikes": counts}


def _child(backend: str, case: str, n_trials: int, independent: bool) -> None:
    """Runs the case twice in one process: a cold run (first in the process: JIT caches,
    calibration file) and a warm one."""
    import warnings
    warnings.simplefilter("ignore")
    from bss2_experiments import backends
    sim = backends.load(backend)
    for _ in range(2):
        figures = full_chip(sim) if case == "a" else batch(sim, backend, n_trials, independent)
        print("RESULT " + json.dumps(figures))


def _measure(backend: str, case: str, n_trials: int = N_TRIALS, independent: bool = False) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.peers", "--child", backend, case, str(n_trials), str(int(independent))],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{backend} case {case} failed:\n{proc.stderr[-3000:]}")
    cold, warm = (json.loads(line[len("RESULT "):]) for line in lines[-2:])
    return {"wall": wall, **cold, "warm": warm["build"] + warm["run"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["emulator", "nest", "brian2"])
    parser.add_argument("--cases", nargs="+", default=["a", "b"], choices=["a", "b"])
    parser.add_argument("--independent", type=int, default=0, metavar="N",
                        help="also time N trials of (b) with reset() between trials on the peers")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        backend, case, n, independent = args.child
        _child(backend, case, int(n), bool(int(independent)))
        return 0
    rows = []
    for case in args.cases:
        times = {}
        for backend in args.backends:
            r = _measure(backend, case)
            times[backend] = r["run"] + r["build"]
            rows.append((case, backend, r))
        if args.independent and case == "b":
            for backend in (b for b in args.backends if b != "emulator"):
                rows.append((case, f"{backend} reset x{args.independent}",
                             _measure(backend, "b", args.independent, independent=True)))
    print("build + run of the script (s): cold = first run in a fresh process, warm = second run in it;")
    print("ratios = backend time / emulator time. wall = whole process incl. imports and both runs.")
    print(f"{'case':4} {'backend':20} {'wall':>7} {'build':>7} {'run':>7} {'cold':>7} {'warm':>7} "
          f"{'cold x':>7} {'warm x':>7}  spikes")
    reference = {case: r for case, b, r in rows if b == "emulator"}
    for case, backend, r in rows:
        cold = r["build"] + r["run"]
        ref = reference.get(case)
        ratios = (cold / (ref["build"] + ref["run"]), r["warm"] / ref["warm"]) if ref else (float("nan"),) * 2
        print(f"{case:4} {backend:20} {r['wall']:7.2f} {r['build']:7.2f} {r['run']:7.2f} {cold:7.2f} "
              f"{r['warm']:7.2f} {ratios[0]:6.1f}x {ratios[1]:6.1f}x  {r['spikes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
