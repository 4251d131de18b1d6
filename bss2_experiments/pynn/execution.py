"""Running a compiled network on the chip and handing the results back.

:func:`execute` runs one ``run()`` (one trial) and gives the recordings to the
recorders and the read-back weights to plastic projections; :func:`execute_batch` runs
independent trials in one chip call (``run_batch``).
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from emulator.chip import Emulator
from emulator.interface import N_NEURONS, RunResult
from . import scaling
from .batch import BatchResult
from .configure import Compiled, compile_network
from .recording import RunData


def _source_trains(state, compiled: Compiled, t0_ms: float, t1_ms: float, overrides=None) -> list[np.ndarray]:
    """Spike times (biological ms, absolute) of every input in ``[t0_ms, t1_ms)``."""
    trains = []
    for p in compiled.source_pops:
        if overrides is not None and p in overrides:
            given = overrides[p]
            if len(given) != p.size:
                raise ValueError(f"{p.label}: {len(given)} spike trains given, the population has {p.size}")
            trains.extend(given if t0_ms == 0 else [t0_ms + np.asarray(x, dtype=float) for x in given])
        elif "spike_times" in p.celltype.get_native_names():
            for seq in p.native_array("spike_times"):
                t = np.asarray(seq.value if hasattr(seq, "value") else seq, dtype=float)
                trains.append(t[(t >= t0_ms) & (t < t1_ms)])
        else:
            trains.extend(p.celltype.draw(p.native_array("rate"), p.native_array("start"),
                                          p.native_array("duration"), t0_ms, t1_ms, state.rng))
    return trains


def _run_chip(state, compiled: Compiled, trials: list[list[np.ndarray]], t0_ms: float, duration_ms: float) -> RunResult:
    """One chip call; ``trials[k][j]`` are input ``j``'s absolute times (ms) in trial ``k``."""
    in_ms = compiled.mapping.stimulus(trials)  # ordered and labelled; times still absolute ms
    stimulus = dataclasses.replace(in_ms, time_us=scaling.ms_to_us(in_ms.time_us - t0_ms))
    seed = int(state.rng.integers(2**63 - 1))
    result = state.chip.run(compiled.config, stimulus, float(scaling.ms_to_us(duration_ms)), seed=seed)
    if np.any(result.dropped_events):
        warnings.warn(f"the input link dropped {int(np.sum(result.dropped_events))} input events (too many "
                      f"simultaneous inputs); see RunResult.dropped_events", stacklevel=3)
    return result


def _compile(state) -> Compiled:
    """Create the emulated chip on first use (unless setup() got one), then compile."""
    if state.chip is None:
        opts = state.chip_options
        state.chip = Emulator(chip_id=opts.get("chip_id", 0), ideal=opts.get("ideal", False),
                              dt_us=opts.get("dt_us", 0.1))
    return compile_network(state)


def execute(state, t0_ms: float, duration_ms: float) -> None:
    """One ``run()``: compile, run one trial, store recordings and plastic weights."""
    compiled = _compile(state)
    trains = _source_trains(state, compiled, t0_ms, t0_ms + duration_ms)
    result = _run_chip(state, compiled, [trains], t0_ms, duration_ms)
    state.last_run = (compiled, result)
    _store_recordings(compiled, result, trains, t0_ms)
    _read_back_plasticity(state, compiled, result)


def _store_recordings(compiled: Compiled, result: RunResult, trains, t0_ms: float) -> None:
    placement = compiled.mapping.placement
    logical_of_chip = np.full(N_NEURONS, -1, np.int64)
    logical_of_chip[placement] = np.arange(placement.size)
    times, chips = result.spikes.of_trial(0)
    logical = logical_of_chip[chips]
    t_ms = t0_ms + scaling.us_to_ms(times)
    for p, off in compiled.neuron_offset.items():
        sel = (logical >= off) & (logical < off + p.size)
        data = RunData(logical[sel] - off, t_ms[sel])
        for var, idx in p.recorder.analog_indices().items():
            data.signals[var] = (_analog(p, result, placement[off + idx], var), idx)
        p.recorder.store_run(data)
    for p, off in compiled.source_offset.items():
        own = trains[off:off + p.size]
        index = np.concatenate([np.full(t.size, i) for i, t in enumerate(own)]) if own else np.zeros(0, int)
        p.recorder.store_run(RunData(index.astype(np.int64), np.concatenate(own) if own else np.zeros(0)))


def _analog(population, result: RunResult, chips: np.ndarray, var: str) -> np.ndarray:
    """Samples (n_samples, n_neurons) of ``var`` for chip neurons ``chips``, trial 0, in the
    population's units (mV for the standard cells, ADC LSB otherwise)."""
    in_mv = population.celltype.units.get(var) == "mV"
    if population.recorder.device == "madc":
        rows = [result.madc.neurons.index(int(c)) for c in chips]
        values = result.madc.samples[0][rows].T.astype(float)
        return scaling.cadc_to_mv(scaling.madc_to_cadc(values)) if in_mv else values
    values = result.cadc.samples[0][:, chips].astype(float)
    return scaling.cadc_to_mv(values) if in_mv else values


def _read_back_plasticity(state, compiled: Compiled, result: RunResult) -> None:
    if result.plasticity is None:
        return
    chip_weights = result.plasticity.weights[0]
    for key, (proj, sel, post, inhibitory) in compiled.plastic.items():
        hw = compiled.mapping.read_weights(key, chip_weights)
        weights = proj._weight.copy()
        weights[sel] = (-1.0 if inhibitory else 1.0) * hw / compiled.weight_scale[int(inhibitory), post]
        proj._store_weights(weights)
    for rule in state.plasticity_rules:
        rule._store_output(result.plasticity)


def execute_batch(state, duration_ms: float, inputs: dict) -> BatchResult:
    """Run ``n`` independent trials of the network in one chip call (see control.run_batch)."""
    lengths = {len(v) for v in inputs.values()}
    if len(lengths) != 1:
        raise ValueError(f"every population in inputs needs the same number of trials, got {sorted(lengths)}")
    n_trials = lengths.pop()
    compiled = _compile(state)
    trials = [_source_trains(state, compiled, 0.0, duration_ms, {p: v[k] for p, v in inputs.items()})
              for k in range(n_trials)]
    result = _run_chip(state, compiled, trials, 0.0, duration_ms)
    state.last_run = (compiled, result)
    return BatchResult(compiled, result, n_trials)
