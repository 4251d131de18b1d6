"""A short synaptic kick and the exponential relaxation after it, for all neurons.

Shared by the time-constant calibrations: a burst of input events at ``t0`` displaces
every membrane; when one of the two time constants of the CUBA response (membrane,
synaptic input) is made much shorter than the other, the CADC trace after a few short
time constants decays with the long one alone, and an exponential fit (fixed asymptote:
the resting read before ``t0``) gives it. calix fits the same decays on MADC traces
(``hagen/neuron_synin.py``, ``hagen/neuron_leak_bias.py``); the CADC sees all 512
neurons in one run at ~0.54 us per sample, enough for time constants of >= ~1 us.

The 8-bit CADC rounds the resting read and the small tail of every decay to the same
code. Temporal noise dithers that rounding on a chip; a noise-free chip would leave a
bias of up to ~2 % in the fitted time constant. So every kick is recorded at
:data:`LEAK_DITHER_DAC` leak potentials (one run each, one CapMem step = ~0.42 CADC LSB
apart, spanning about one LSB) and the traces are averaged: the response to the kick is
the same at every level (CUBA) or linear in it (COBA), so the average trace is that of the
average level, while the rounding errors of the levels average out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, ChipConfiguration, Stimulus

from .fitting import fit_decay
from .measure import Probe, Trace, cadc_trace

MIN_AMPLITUDE_LSB = 3.0
"""Below this displacement at the start of the fit window a decay counts as unseen."""
LEAK_DITHER_DAC = (0, 1, 2, 3, 4)
"""Leak DAC offsets at which every kick is recorded (see the module docstring)."""


@dataclass
class Kick:
    """Input bursts played at ``t0_us``, each in ``repeats`` trials per leak dither level
    (:data:`LEAK_DITHER_DAC`); all traces of a burst are averaged."""

    bursts: list[tuple[np.ndarray, np.ndarray]]
    repeats: int = 1
    t0_us: float = 10.0

    def stimulus(self) -> Stimulus:
        return Stimulus.from_trials([(times + self.t0_us, labels) for times, labels in self.bursts
                                     for _ in range(self.repeats)])

    def averaged(self, trace: Trace) -> Trace:
        """The trace with the repeats of each burst averaged: trials = bursts; a sample
        stays valid only when it was valid in every repeat."""
        shape = (len(self.bursts), self.repeats) + trace.samples.shape[1:]
        return Trace(trace.time_us, trace.samples.reshape(shape).mean(axis=1),
                     trace.valid.reshape(shape).all(axis=1), trace.result)

    def record(self, probe: Probe, config: ChipConfiguration, duration_us: float) -> Trace:
        """Play the kick at every leak dither level (one run each) and average: one trial
        per burst, CADC LSB over hardware us; the result is that of the first run."""
        traces = []
        for offset in LEAK_DITHER_DAC:
            shifted = config.copy()
            shifted.neurons.leak_v_leak[:] = np.clip(config.neurons.leak_v_leak + offset, 0, CAPMEM_MAX_DAC)
            traces.append(self.averaged(cadc_trace(probe, shifted, self.stimulus(), duration_us)))
        return Trace(traces[0].time_us, np.mean([t.samples for t in traces], axis=0),
                     np.all([t.valid for t in traces], axis=0), traces[0].result)


def tail_start_us(target_us: np.ndarray, earliest_us: float, latest_us: float, fraction: float = 0.25) -> float:
    """Start of the fit after the kick: ``fraction`` of the shortest target time constant,
    kept between ``earliest_us`` (the fast component has died) and ``latest_us``."""
    return float(np.clip(fraction * np.min(target_us), earliest_us, latest_us))


def baseline(trace: Trace, t0_us: float) -> np.ndarray:
    """Mean CADC read before ``t0_us`` per trial and neuron, shape (trials, 512)."""
    before = trace.time_us < t0_us - 0.1
    return trace.samples[:, before, :].mean(axis=1)


def window(trace: Trace, start_us: float, stop_us: float | np.ndarray) -> np.ndarray:
    """0/1 weights (trials, K, 512): valid samples with ``start_us <= t < stop_us`` (stop
    a scalar or one value per neuron)."""
    t = trace.time_us[None, :, None]
    stop = np.asarray(stop_us, dtype=float)
    return trace.valid & (t >= start_us) & (t < (stop[None, None, :] if stop.ndim else stop))


def decay_time_constant(probe: Probe, config: ChipConfiguration, kick: Kick, start_us: float,
                        stop_us: np.ndarray) -> np.ndarray:
    """Time constant (us) of the relaxation after the kick, per burst and neuron.

    The fit uses samples from ``t0 + start_us`` to ``t0 + stop_us`` (per neuron, (512,)).
    Neurons whose displacement at the window start is below :data:`MIN_AMPLITUDE_LSB`
    get 0 (a decay too fast to see).
    """
    duration = kick.t0_us + float(np.max(stop_us)) + 0.5
    trace = kick.record(probe, config, duration)
    rest = baseline(trace, kick.t0_us)
    weights = window(trace, kick.t0_us + start_us, kick.t0_us + np.asarray(stop_us))
    t = trace.time_us - kick.t0_us - start_us
    taus = []
    for i in range(trace.samples.shape[0]):
        fit = fit_decay(t, trace.samples[i], weights[i], offset=rest[i], tau_range_us=(0.2, 1000.0))
        taus.append(np.where(np.abs(fit.amplitude) >= MIN_AMPLITUDE_LSB, fit.tau, 0.0))
    return np.stack(taus)
