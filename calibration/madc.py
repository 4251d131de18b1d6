"""MADC measurements of time constants too short for the CADC, two neurons per run.

The CADC samples every neuron at most every ~0.54 us, too coarse for membrane time
constants below ~1 us or synaptic time constants below ~2 us. calix measures those on
traces of the MADC (Electronic Visions, github electronicvisions/calix,
``hagen/neuron_synin.py`` records the synaptic input line, ``hagen/neuron_leak_bias.py``
``MembraneTimeConstCalibReset`` the membrane's rise after a reset), which samples at
~29.4 MSa/s (34 ns per sample) but records only one even and one odd neuron at a time.
So a measurement of ``n`` neurons takes ``ceil(n / 2)`` runs (pairs of one even and one
odd neuron); only the neurons whose targets need it are measured this way.

Units: hardware microseconds; MADC LSB for the traces (the fits are scale-free).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from emulator.interface import MADC_MAX_LSB, ChipConfiguration, MADCSource, RunResult, Stimulus

from .fitting import fit_decay
from .measure import Probe


def neuron_pairs(neurons: np.ndarray) -> list[tuple[int, ...]]:
    """Group neuron indices into MADC selections of at most one even and one odd neuron."""
    neurons = np.asarray(neurons, dtype=np.int64)
    even, odd = neurons[neurons % 2 == 0], neurons[neurons % 2 == 1]
    return [tuple(int(n) for n in (even[k:k + 1].tolist() + odd[k:k + 1].tolist()))
            for k in range(max(even.size, odd.size))]


def per_neuron(probe: Probe, config: ChipConfiguration, neurons: np.ndarray, source: MADCSource,
               stimulus: Stimulus, duration_us: float,
               analyse: Callable[[np.ndarray, np.ndarray, np.ndarray, RunResult, tuple[int, ...]], np.ndarray]
               ) -> np.ndarray:
    """Record ``source`` of every neuron in ``neurons`` (pairwise, one run per pair) and
    return ``analyse(time_us, samples, valid, result, pair)`` per neuron, shape (n,).

    ``samples`` (K, len(pair)) float is the trial-averaged MADC trace of the pair, ``valid``
    marks samples not clipped at either end of the 10-bit range in any trial.
    """
    neurons = np.asarray(neurons, dtype=np.int64)
    out = np.full(neurons.size, np.nan)
    position = {int(n): i for i, n in enumerate(neurons)}
    for pair in neuron_pairs(neurons):
        cfg = config.copy()
        cfg.readout = dataclasses.replace(cfg.readout, madc_neurons=pair, madc_source=source)
        result = probe.run(cfg, stimulus, duration_us)
        samples = np.asarray(result.madc.samples, dtype=float)
        valid = ((samples > 0) & (samples < MADC_MAX_LSB)).all(axis=0).T
        values = analyse(np.asarray(result.madc.time_us, dtype=float), samples.mean(axis=0).T, valid, result, pair)
        for n, v in zip(pair, values):
            out[position[n]] = v
    return out


def decay_after(t0_us: float, start_us: np.ndarray, stop_us: np.ndarray, tau_range_us: tuple[float, float]):
    """An ``analyse`` function for :func:`per_neuron`: the time constant (us) of the decay
    from ``t0 + start`` to ``t0 + stop`` (``start_us``, ``stop_us``: arrays over all 512
    neurons, us), towards the mean level before ``t0`` (the resting value)."""

    def analyse(time_us, samples, valid, result, pair):
        index = list(pair)
        rest = samples[time_us < t0_us - 0.05].mean(axis=0)
        t = time_us - t0_us
        weights = valid & (t[:, None] >= start_us[index][None, :]) & (t[:, None] < stop_us[index][None, :])
        return fit_decay(t, samples, weights, offset=rest, tau_range_us=tau_range_us).tau

    return analyse
