"""Pick a PyNN backend by name: ``sim = backends.load("emulator" | "nest" | "brian2" | "hardware")``.

Every backend takes the same script (biological ms, PyNN 0.13 API) and offers
``run_batch(duration, inputs, outputs=None)`` for independent trials. The peers are
wrapped only where this machine's versions need it:

* NEST 3.10: ``reset()`` needs ``setup(t_flush=...)``; the wrapper passes
  ``t_flush=DEFAULT_T_FLUSH_MS`` unless the script gives one (and silences NEST's
  reminder that the flush is an approximation).
* Brian2 2.9: ``IF_curr_exp`` with ``tau_m == tau_syn`` raises ``ZeroDivisionError``
  (its exact integrator divides by ``tau_m - tau_syn``); the wrapper stretches both
  synaptic time constants by a relative :data:`BRIAN2_TAU_SYN_STRETCH` (1e-7), far below
  any measurable effect.
* Chip-only ``setup()`` arguments (``chip_id``, ``ideal``, ``calibration``, ``chip``, ...)
  are accepted and ignored by the peers; ``seed`` seeds their random numbers.

``"hardware"`` wraps ``pynn_brainscales.brainscales2`` (times in hardware ms there) so
that the script keeps biological ms; without that package it raises an ImportError that
says what to install.
"""
from __future__ import annotations

import importlib
import inspect
import warnings
from types import ModuleType
from typing import Callable

import numpy as np
import quantities as pq

from emulator import units

BACKENDS = ("emulator", "nest", "brian2", "hardware")
DEFAULT_T_FLUSH_MS = 10.0
BRIAN2_TAU_SYN_STRETCH = 1e-7


def chip_only_options() -> list[str]:
    """The keyword-only arguments of the emulator's ``setup()`` except ``seed``: what the
    peers accept and ignore."""
    from bss2_experiments.pynn.control import setup
    return [name for name, p in inspect.signature(setup).parameters.items()
            if p.kind is p.KEYWORD_ONLY and name != "seed"]


def load(name: str = "emulator"):
    """The PyNN module of backend ``name`` (see module doc)."""
    if name == "emulator":
        return importlib.import_module("bss2_experiments.pynn")
    if name == "nest":
        return _NestBackend(_import_peer("pyNN.nest", "nest-simulator"))
    if name == "brian2":
        return _Brian2Backend(_import_peer("pyNN.brian2", "brian2 (with numpy<2.4)"))
    if name == "hardware":
        return HardwareBackend(_import_hardware())
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


def _import_peer(module: str, package: str) -> ModuleType:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Cannot find nest-config")
            return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"backend needs {package}: pip install 'bss2-suite[reference]' ({err})") from err


def _import_hardware() -> ModuleType:
    try:
        return importlib.import_module("pynn_brainscales.brainscales2")
    except ImportError as err:
        raise ImportError(
            "the 'hardware' backend needs pynn_brainscales (BrainScaleS-2 software stack, not on PyPI): use the "
            "EBRAINS BrainScaleS-2 environment (JupyterLab kernel 'EBRAINS-experimental') or build "
            "electronicvisions/pynn-brainscales with its dependencies, or choose backend 'emulator'"
        ) from err


class _Wrapped:
    """Forwards every attribute to the wrapped PyNN module except those defined here."""

    def __init__(self, module: ModuleType):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def __repr__(self):
        return f"<{type(self).__name__} over {self._module.__name__}>"


class _PeerBackend(_Wrapped):
    """Common part of the NEST and Brian2 wrappers."""

    def _setup_options(self, options: dict) -> dict:
        for name in chip_only_options():
            options.pop(name, None)
        return options

    def setup(self, timestep=0.1, min_delay="auto", **options):
        seed = options.pop("seed", None)
        options = self._setup_options(options)
        if seed is not None:
            options.update(self._seed_options(seed))
        return self._module.setup(timestep=timestep, min_delay=min_delay, **options)

    def _seed_options(self, seed: int) -> dict:
        return {}

    def run_batch(self, duration: float, inputs: dict, outputs=None, independent: bool = True) -> "PeerBatchResult":
        """``n`` trials of ``duration`` ms with the spike trains of ``inputs`` (as the
        emulator's ``run_batch``); spikes of ``outputs`` (neuron populations) come back.

        ``independent=True`` resets between trials (exact, slow on NEST: each reset runs
        ``t_flush`` and the cost grows with the number of trials). ``independent=False``
        plays all trials back to back in one run, spaced by ``duration``: fast, but a
        trial starts where the previous one left the network.
        """
        if not outputs:
            raise ValueError("the reference backends need outputs=[populations] to know what to record")
        n_trials = {len(v) for v in inputs.values()}
        if len(n_trials) != 1:
            raise ValueError(f"every population in inputs needs the same number of trials, got {sorted(n_trials)}")
        n_trials = n_trials.pop()
        for pop in outputs:
            pop.record("spikes")
        result = PeerBatchResult(n_trials, outputs)
        if independent:
            for k in range(n_trials):
                for pop, trials in inputs.items():
                    pop.set(spike_times=[self._module.Sequence(_times(t)) for t in trials[k]])
                self._module.run(duration)
                result.add_block(k, 0.0, duration)
                self.reset()
        else:
            for pop, trials in inputs.items():
                pop.set(spike_times=[self._module.Sequence(np.concatenate(
                    [k * duration + _times(trials[k][i]) for k in range(n_trials)]))
                    for i in range(pop.size)])
            self._module.run(n_trials * duration)
            result.add_back_to_back(duration)
        return result


def _times(t) -> np.ndarray:
    return np.sort(np.asarray(t, dtype=float).ravel())


class PeerBatchResult:
    """Per-trial spikes collected from a reference simulator (same accessors as
    :class:`bss2_experiments.pynn.batch.BatchResult`)."""

    def __init__(self, n_trials: int, outputs):
        self.n_trials = n_trials
        self._spikes = {pop: [None] * n_trials for pop in outputs}

    def add_block(self, trial: int, t0: float, duration: float) -> None:
        for pop in self._spikes:
            trains = pop.get_data("spikes", clear=True).segments[-1].spiketrains
            self._spikes[pop][trial] = [np.asarray(st.rescale(pq.ms).magnitude) - t0 for st in _by_index(trains, pop)]

    def add_back_to_back(self, duration: float) -> None:
        for pop in self._spikes:
            trains = [np.asarray(st.rescale(pq.ms).magnitude)
                      for st in _by_index(pop.get_data("spikes", clear=True).segments[-1].spiketrains, pop)]
            for k in range(self.n_trials):
                lo, hi = k * duration, (k + 1) * duration
                self._spikes[pop][k] = [t[(t >= lo) & (t < hi)] - lo for t in trains]

    def spike_times(self, population) -> list[list[np.ndarray]]:
        return self._spikes[population]

    def spike_counts(self, population) -> np.ndarray:
        return np.array([[t.size for t in trial] for trial in self._spikes[population]])

    def __getitem__(self, population):
        return self.spike_times(population)


def _by_index(trains, pop):
    """Spike trains ordered by index in the population."""
    index = [int(st.annotations.get("source_index", i)) for i, st in enumerate(trains)]
    ordered = [None] * pop.size
    for i, st in zip(index, trains):
        ordered[i] = st
    return ordered


class _NestBackend(_PeerBackend):
    def _setup_options(self, options: dict) -> dict:
        options = super()._setup_options(options)
        options.setdefault("t_flush", DEFAULT_T_FLUSH_MS)
        return options

    def _seed_options(self, seed: int) -> dict:
        return {"rng_seed": int(seed)}

    def reset(self, annotations=None):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Full reset functionality is not available with NEST")
            self._module.reset(annotations or {})


class _Brian2Backend(_PeerBackend):
    def __init__(self, module: ModuleType):
        super().__init__(module)
        self.IF_curr_exp = _brian2_if_curr_exp(module)

    def setup(self, timestep=0.1, min_delay="auto", **options):
        seed = options.get("seed")
        if seed is not None:
            import brian2
            brian2.seed(int(seed))
        return super().setup(timestep, min_delay, **options)


def _brian2_if_curr_exp(module: ModuleType) -> type:
    """pyNN.brian2's IF_curr_exp with tau_syn stretched by BRIAN2_TAU_SYN_STRETCH."""
    from brian2 import ms
    from pyNN.standardmodels import build_translations

    base = module.IF_curr_exp
    stretch = 1.0 + BRIAN2_TAU_SYN_STRETCH

    def tau(pynn_name: str, native: str, factor: float):
        # 4-tuples make the three "computed", so PyNN always translates them together
        return (pynn_name, native, lambda **p: p[pynn_name] * factor * ms, lambda **p: p[native] / (factor * ms))

    translations = dict(base.translations)
    translations.update(build_translations(tau("tau_m", "tau_m", 1.0), tau("tau_syn_E", "tau_syn_e", stretch),
                                           tau("tau_syn_I", "tau_syn_i", stretch)))
    return type("IF_curr_exp", (base,), {"translations": translations, "__doc__": base.__doc__})


class HardwareBackend(_Wrapped):
    """``pynn_brainscales.brainscales2`` with biological ms at the script level.

    ``run``/``run_until``/``run_for`` and ``get_current_time`` convert between biological
    ms (script) and hardware ms (pynn_brainscales); ``SpikeSourceArray`` converts its
    spike times; :meth:`to_biological` converts a neo Block from ``get_data`` in place.
    Everything else passes through.
    """

    @staticmethod
    def to_hardware_ms(t_bio_ms):
        return (pq.Quantity(units.bio_ms_to_hw_us(t_bio_ms), pq.us).rescale(pq.ms)).magnitude

    @staticmethod
    def to_biological_ms(t_hw_ms):
        return units.hw_us_to_bio_ms(pq.Quantity(np.asarray(t_hw_ms, float), pq.ms).rescale(pq.us).magnitude)

    def run(self, simtime: float, *args, **kwargs):
        return self.to_biological_ms(self._module.run(self.to_hardware_ms(simtime), *args, **kwargs))

    run_for = run

    def run_until(self, tstop: float, *args, **kwargs):
        return self.to_biological_ms(self._module.run_until(self.to_hardware_ms(tstop), *args, **kwargs))

    def get_current_time(self) -> float:
        return float(self.to_biological_ms(self._module.get_current_time()))

    def SpikeSourceArray(self, spike_times=(), **parameters):
        converted = _map_times(spike_times, self.to_hardware_ms)
        return self._module.cells.SpikeSourceArray(spike_times=converted, **parameters)

    def to_biological(self, block):
        """Rescale every time axis of a neo Block from hardware to biological ms, in place."""
        factor = float(self.to_biological_ms(1.0))
        for segment in block.segments:
            for i, st in enumerate(segment.spiketrains):
                segment.spiketrains[i] = st.duplicate_with_new_data(
                    st.times * factor, t_start=st.t_start * factor, t_stop=st.t_stop * factor)
            for signal in segment.irregularlysampledsignals:
                signal.times = signal.times * factor
        return block


def _map_times(spike_times, convert: Callable):
    if len(spike_times) and np.ndim(spike_times[0]) > 0:
        return [convert(np.asarray(t, float)) for t in spike_times]
    return convert(np.asarray(spike_times, float))
