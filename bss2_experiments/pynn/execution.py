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
from emulator.interface import N_NEURONS, RunResult, Stimulus

from ..energy_model import record_run
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
            trains.extend(_fixed_trains(p, t0_ms, t1_ms))
        else:
            trains.extend(p.celltype.draw(p.native_array("rate"), p.native_array("start"),
                                          p.native_array("duration"), t0_ms, t1_ms, state.rng))
    return trains


def _fixed_trains(population, t0_ms: float, t1_ms: float) -> list[np.ndarray]:
    """The spike times (ms) of each neuron of a ``SpikeSourceArray`` in ``[t0_ms, t1_ms)``."""
    trains = [np.asarray(seq.value if hasattr(seq, "value") else seq, dtype=float)
              for seq in population.native_array("spike_times")]
    return [t[(t >= t0_ms) & (t < t1_ms)] for t in trains]


def _stimulus(compiled: Compiled, trials: list[list[np.ndarray]], t0_ms: float) -> Stimulus:
    """The chip's input events (hardware us from ``t0_ms``); ``trials[k][j]`` are input
    ``j``'s absolute times (ms) in trial ``k``."""
    in_ms = compiled.mapping.stimulus(trials)  # ordered and labelled; times still absolute ms
    return dataclasses.replace(in_ms, time_us=scaling.ms_to_us(in_ms.time_us - t0_ms))


def _call_chip(state, compiled: Compiled, stimulus: Stimulus, duration_ms: float) -> RunResult:
    """Run ``stimulus`` (hardware us from the run's start) on the chip; warn about dropped
    input events; tally the run's modelled energy (:mod:`bss2_experiments.energy_model`)."""
    seed = int(state.rng.integers(2**63 - 1))
    result = state.chip.run(compiled.config, stimulus, float(scaling.ms_to_us(duration_ms)), seed=seed)
    if np.any(result.dropped_events):
        warnings.warn(f"the input link dropped {int(np.sum(result.dropped_events))} input events (too many "
                      f"simultaneous inputs); see RunResult.dropped_events", stacklevel=4)
    if isinstance(state.chip, Emulator):
        record_run(result, compiled.config, stimulus, state.chip.identity)
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
    result = _call_chip(state, compiled, _stimulus(compiled, [trains], t0_ms), duration_ms)
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
    """Run ``n`` independent trials of the network in one chip call (see control.run_batch).

    An input given as an array (:func:`spike_array`) takes the vectorised path: the
    stimulus is built from one padded array, with no per-trial Python lists."""
    lengths = {len(v) for v in inputs.values()}
    if len(lengths) != 1:
        raise ValueError(f"every population in inputs needs the same number of trials, got {sorted(lengths)}")
    n_trials = lengths.pop()
    if n_trials < 1:
        raise ValueError("run_batch needs at least one trial per input population")
    compiled = _compile(state)
    not_sources = [p.label for p in inputs if p not in compiled.source_offset]
    if not_sources:
        raise ValueError(f"inputs must be spike sources of the network; {not_sources} are not")
    arrays = {p: spike_array(v, p) for p, v in inputs.items() if isinstance(v, np.ndarray)}
    fixed = {p: _own_spike_array(p, duration_ms, n_trials) for p in compiled.source_pops if p not in inputs}
    if arrays and len(arrays) == len(inputs) and all(v is not None for v in fixed.values()):
        times_ms = _stack([arrays.get(p, fixed.get(p)) for p in compiled.source_pops])
        stimulus = compiled.mapping.stimulus_array(scaling.ms_to_us(times_ms))
    else:  # lists of trials, or Poisson sources drawn anew per trial
        lists = {p: _array_to_lists(arrays[p]) if p in arrays else v for p, v in inputs.items()}
        trials = [_source_trains(state, compiled, 0.0, duration_ms, {p: v[k] for p, v in lists.items()})
                  for k in range(n_trials)]
        stimulus = _stimulus(compiled, trials, 0.0)
    result = _call_chip(state, compiled, stimulus, duration_ms)
    state.last_run = (compiled, result)
    return BatchResult(compiled, result, n_trials, stimulus, state.chip.identity, state.calibration_result)


def spike_array(times_ms, population) -> np.ndarray:
    """Spike times of ``population`` for a batch as a float array ``(n_trials, size, k)``
    (biological ms from the trial start; NaN or inf pads trains shorter than ``k``); an
    ``(n_trials, size)`` array is one spike (or none) per neuron and trial."""
    times = np.asarray(times_ms, dtype=float)
    if times.ndim == 2:
        times = times[:, :, None]
    if times.ndim != 3 or times.shape[1] != population.size:
        raise ValueError(f"{population.label}: an array input needs shape (n_trials, {population.size}) or "
                         f"(n_trials, {population.size}, spikes_per_neuron), got {np.shape(times_ms)}")
    finite = np.isfinite(times)
    if np.any(times[finite] < 0):
        raise ValueError(f"{population.label}: spike times must be >= 0 ms from the trial start (NaN or inf = no "
                         f"spike)")
    return np.where(finite, times, np.nan)


def _own_spike_array(population, duration_ms: float, n_trials: int) -> np.ndarray | None:
    """The fixed spike times of a ``SpikeSourceArray`` in ``[0, duration_ms)`` as
    ``(n_trials, size, k)``, the same in every trial; None for sources drawn per trial."""
    if "spike_times" not in population.celltype.get_native_names():
        return None
    trains = _fixed_trains(population, 0.0, duration_ms)
    padded = np.full((1, population.size, max((t.size for t in trains), default=0)), np.nan)
    for i, t in enumerate(trains):
        padded[0, i, :t.size] = t
    return np.broadcast_to(padded, (n_trials,) + padded.shape[1:])


def _stack(blocks: list[np.ndarray]) -> np.ndarray:
    """Concatenate ``(n_trials, size_i, k_i)`` blocks along the inputs, padding with NaN."""
    k = max(b.shape[2] for b in blocks)
    return np.concatenate([np.pad(b, ((0, 0), (0, 0), (0, k - b.shape[2])), constant_values=np.nan)
                           if b.shape[2] < k else b for b in blocks], axis=1)


def _array_to_lists(times: np.ndarray) -> list[list[np.ndarray]]:
    return [[row[np.isfinite(row)] for row in trial] for trial in times]
