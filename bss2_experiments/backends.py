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
  are accepted and ignored by the peers; ``seed`` seeds their random numbers. NEST
  takes ``rng_seed`` only in 1 .. 2**32 - 1, so the wrapper passes ``seed + 1``
  (:func:`nest_rng_seed`): seed 0 works and distinct seeds stay distinct.

``"hardware"`` is the lab-chip adapter (:class:`HardwareBackend`): it maps the suite's
PyNN features onto ``pynn_brainscales.brainscales2`` (times in hardware ms there) so that
the script keeps biological ms; without that package it raises an ImportError that says
what to install.
"""
from __future__ import annotations

import importlib
import inspect
import warnings
from types import ModuleType
from typing import Callable

import numpy as np
import quantities as pq
from pyNN.parameters import Sequence

from emulator import units

BACKENDS = ("emulator", "nest", "brian2", "hardware")
DEFAULT_T_FLUSH_MS = 10.0
BRIAN2_TAU_SYN_STRETCH = 1e-7
NEST_SEED_OFFSET = 1
"""NEST's ``rng_seed`` = suite seed + this (NEST rejects 0; accepts 1 .. 2**32 - 1)."""
NEST_MAX_RNG_SEED = 2 ** 32 - 1


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
        try:
            return getattr(self._module, name)
        except AttributeError:
            raise AttributeError(f"{self._module.__name__} has no {name!r}: this backend does not offer that "
                                 "feature") from None

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
        n_trials = _n_trials(inputs)
        for pop in outputs:
            if not _records_spikes(pop):   # pyNN.nest refuses to add recorders after a run
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
            start = float(self._module.get_current_time())
            _play_back_to_back(inputs, n_trials, duration, self._module.run, start=start)
            result.add_back_to_back(duration, start)
        return result


def _play_back_to_back(inputs: dict, n_trials: int, spacing: float, run: Callable,
                       convert: Callable = lambda t: t, start: float = 0.0) -> None:
    """Set every input population's spike trains to all trials in a row from the current
    time ``start``, trial ``k`` shifted by ``start + k * spacing`` (script ms; ``convert``
    maps them to the backend's unit), and run."""
    for pop, trials in inputs.items():
        pop.set(spike_times=[Sequence(convert(np.concatenate([start + k * spacing + _times(trials[k][i])
                                                              for k in range(n_trials)])))
                             for i in range(pop.size)])
    run(n_trials * spacing)


def _n_trials(inputs: dict) -> int:
    n_trials = {len(v) for v in inputs.values()}
    if len(n_trials) != 1:
        raise ValueError(f"every population in inputs needs the same number of trials, got {sorted(n_trials)}")
    return n_trials.pop()


def nest_rng_seed(seed: int) -> int:
    """NEST's ``rng_seed`` for the suite's ``seed``: ``seed + NEST_SEED_OFFSET`` (NEST needs
    1 .. 2**32 - 1, the suite counts seeds from 0)."""
    seed = int(seed)
    if not 0 <= seed <= NEST_MAX_RNG_SEED - NEST_SEED_OFFSET:
        raise ValueError(f"seed {seed} out of range for NEST: use 0 .. {NEST_MAX_RNG_SEED - NEST_SEED_OFFSET}")
    return seed + NEST_SEED_OFFSET


def _records_spikes(pop) -> bool:
    """Whether every cell of ``pop`` already records spikes (pyNN keys its recorder by
    variable name or ``Variable``)."""
    recorded = [ids for var, ids in pop.recorder.recorded.items() if getattr(var, "name", var) == "spikes"]
    return bool(recorded) and set(pop.all_cells) <= set().union(*recorded)


def _times(t) -> np.ndarray:
    return np.sort(np.asarray(t, dtype=float).ravel())


class PeerBatchResult:
    """Per-trial spikes collected from a reference simulator (same accessors as
    :class:`bss2_experiments.pynn.batch.BatchResult`)."""

    def __init__(self, n_trials: int, outputs, to_script_ms: float = 1.0):
        self.n_trials = n_trials
        self._spikes = {pop: [None] * n_trials for pop in outputs}
        self._factor = to_script_ms
        """script ms per ms of the backend (1 on the peers; 1000 on hardware: bio per hardware ms)"""

    def add_block(self, trial: int, t0: float, duration: float) -> None:
        for pop in self._spikes:
            trains = pop.get_data("spikes", clear=True).segments[-1].spiketrains
            self._spikes[pop][trial] = [np.asarray(st.rescale(pq.ms).magnitude) - t0 for st in _by_index(trains, pop)]

    def add_back_to_back(self, duration: float, start: float = 0.0) -> None:
        for pop in self._spikes:
            trains = [np.asarray(st.rescale(pq.ms).magnitude) * self._factor
                      for st in _by_index(pop.get_data("spikes", clear=True).segments[-1].spiketrains, pop)]
            for k in range(self.n_trials):
                lo, hi = start + k * duration, start + (k + 1) * duration
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
        return {"rng_seed": nest_rng_seed(seed)}

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


UNMAPPED_SETUP_OPTIONS = {
    "chip": "an emulator.interface.Chip object (the lab chip is reached through pynn_brainscales' own connection)",
    "ideal": "a noise-free chip (ideal=True) exists only in the emulator",
    "correlation_amplitude_lsb": "calibrate the lab chip's correlation sensors with calix "
                                 "(calix.spiking.correlation.CorrelationCalibTarget) and pass its result as initial_config",
    "correlation_tau_us": "calibrate the lab chip's correlation sensors with calix "
                          "(calix.spiking.correlation.CorrelationCalibTarget) and pass its result as initial_config",
}
DROPPED_SETUP_OPTIONS = ("chip_id", "progress", "seed")
"""Emulator ``setup()`` options with no counterpart on a chip that change nothing there:
``chip_id`` picks an emulated chip (the lab chip is the one attached), ``progress`` its
calibration bar, ``seed`` its temporal noise (a chip's noise cannot be seeded). The
``timestep`` (the emulator's integration step) is dropped too: pynn_brainscales keeps its
own MADC sampling interval."""


class HardwareBackend(_Wrapped):
    """The lab-chip adapter: ``pynn_brainscales.brainscales2`` with the suite's PyNN features.

    * **Time**: scripts keep biological ms; ``run``/``run_until``/``run_for``,
      ``get_current_time``, spike sources (``SpikeSourceArray`` times,
      ``SpikeSourcePoisson`` start/duration/rate), ``Timer`` and ``run_batch`` convert to and
      from pynn_brainscales' hardware ms (1 biological ms = 1 hardware us, :mod:`emulator.units`);
      :meth:`to_biological` converts a neo Block from ``get_data``.
    * **Calibrated cell types**: ``CalibHXNeuronCuba`` / ``CalibHXNeuronCoba`` / ``HXNeuron``
      come from ``pynn_brainscales.brainscales2.cells`` with the same parameter names and
      units (CADC LSB, hardware us, CapMem DAC); ``setup(i_synin_gm_exc=, i_synin_gm_inh=,
      synapse_dac_bias=)`` become the defaults of ``i_synin_gm_E/I`` and ``synapse_dac_bias``
      as on the emulator. pynn_brainscales calibrates the chip itself (calix, cached in
      ``calibration_cache``, the suite's ``cache_dir``).
    * **Batches**: ``run_batch(duration, inputs, outputs=None)`` plays the trials back to back
      in one hardware run, ``duration + gap`` apart (``gap`` defaults to ``duration``) so each
      trial starts near rest; trials are not independent as on the emulator.
    * **PPU kernels**: ``Timer`` converts its times; ``PlasticityRule`` is pynn_brainscales'
      class (subclass it and write ``generate_kernel()``). The suite's kernels
      (``PlasticityRule(kernel="homeostasis", ...)``) are C over the suite's HAL and have no
      libnux port: asking for one raises an error naming the kernel.

    Options, cell types or kernels that cannot be mapped raise errors that name them.
    """

    def __init__(self, module: ModuleType):
        super().__init__(module)
        self._cell_defaults: dict[str, float] = {}
        self._rule_class = None

    @property
    def PlasticityRule(self) -> type:
        """pynn_brainscales' ``PlasticityRule``; refuses the suite's kernels by name."""
        if self._rule_class is None:
            self._rule_class = _plasticity_rule_class(self._module)
        return self._rule_class

    # -- time -------------------------------------------------------------------------
    @staticmethod
    def to_hardware_ms(t_bio_ms):
        return (pq.Quantity(units.bio_ms_to_hw_us(t_bio_ms), pq.us).rescale(pq.ms)).magnitude

    @staticmethod
    def to_biological_ms(t_hw_ms):
        return units.hw_us_to_bio_ms(pq.Quantity(np.asarray(t_hw_ms, float), pq.ms).rescale(pq.us).magnitude)

    def run(self, simtime: float | None, *args, **kwargs):
        t = self._module.run(None if simtime is None else self.to_hardware_ms(simtime), *args, **kwargs)
        return None if t is None else self.to_biological_ms(t)

    run_for = run

    def run_until(self, tstop: float, *args, **kwargs):
        return self.to_biological_ms(self._module.run_until(self.to_hardware_ms(tstop), *args, **kwargs))

    def get_current_time(self) -> float:
        return float(self.to_biological_ms(self._module.get_current_time()))

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

    # -- setup ------------------------------------------------------------------------
    def setup(self, timestep=None, min_delay="auto", *, calibration="auto", cache_dir=None,
              i_synin_gm_exc: float | None = None, i_synin_gm_inh: float | None = None,
              synapse_dac_bias: float | None = None, **options):
        """pynn_brainscales' ``setup`` from the emulator's options (see :data:`DROPPED_SETUP_OPTIONS`)."""
        for name, why in UNMAPPED_SETUP_OPTIONS.items():
            if options.get(name):
                raise ValueError(f"setup({name}=...) cannot be mapped to the hardware backend: {why}")
            options.pop(name, None)
        for name in DROPPED_SETUP_OPTIONS:
            options.pop(name, None)
        if calibration is None:
            raise ValueError("setup(calibration=None) (the emulator's uncalibrated design values) has no "
                             "counterpart on a chip: use cells.HXNeuron with raw CapMem values instead")
        if calibration != "auto":
            raise ValueError("setup(calibration=<CalibrationResult>) holds an emulated chip's calibration; a lab "
                             "chip is calibrated by pynn_brainscales (calix): pass calibration='auto' (cached in "
                             "cache_dir) or initial_config=<lola.Chip>")
        if cache_dir is not None:
            options["calibration_cache"] = [str(cache_dir)]
        self._cell_defaults = {name: float(value) for name, value in
                               (("i_synin_gm_E", i_synin_gm_exc), ("i_synin_gm_I", i_synin_gm_inh),
                                ("synapse_dac_bias", synapse_dac_bias)) if value is not None}
        return self._module.setup(min_delay=min_delay, **options)

    # -- cell types, sources, synapses ------------------------------------------------
    def _calibrated(self, name: str, parameters: dict):
        return getattr(self._module.cells, name)(**{**self._cell_defaults, **parameters})

    def CalibHXNeuronCuba(self, **parameters):
        return self._calibrated("CalibHXNeuronCuba", parameters)

    def CalibHXNeuronCoba(self, **parameters):
        return self._calibrated("CalibHXNeuronCoba", parameters)

    @property
    def HXNeuron(self):
        return self._module.cells.HXNeuron

    def SpikeSourceArray(self, spike_times=(), **parameters):
        return self._module.cells.SpikeSourceArray(spike_times=_map_times(spike_times, self.to_hardware_ms),
                                                   **parameters)

    def SpikeSourcePoisson(self, rate=1.0, start=0.0, duration=1e10, **parameters):
        """Host-drawn Poisson source: ``rate`` in biological Hz, ``start``/``duration`` in biological ms."""
        return self._module.cells.SpikeSourcePoisson(
            rate=np.asarray(rate, float) * units.SPEEDUP, start=self.to_hardware_ms(start),
            duration=self.to_hardware_ms(duration), **parameters)

    def StaticSynapse(self, weight=0.0, delay=0.0, **parameters):
        """Integer hardware weights as on the emulator; the chip has no delays (0 only)."""
        if np.any(np.asarray(delay, float) != 0):
            raise ValueError(f"StaticSynapse(delay={delay}): BrainScaleS-2 synapses have no delay; use 0")
        return self._module.synapses.StaticSynapse(weight=weight, delay=0.0, **parameters)

    def Timer(self, start: float, period: float, num_periods: int):
        """A PPU timer with ``start`` and ``period`` in biological ms."""
        return self._module.Timer(start=float(self.to_hardware_ms(start)), period=float(self.to_hardware_ms(period)),
                                  num_periods=int(num_periods))

    # -- batches ----------------------------------------------------------------------
    def run_batch(self, duration: float, inputs: dict, outputs=None, gap: float | None = None,
                  independent: bool = False) -> PeerBatchResult:
        """``n`` trials of ``duration`` biological ms with the spike trains of ``inputs``, back to
        back in one hardware run ``duration + gap`` apart; spikes of ``outputs`` (default: every
        population recording spikes) per trial, in biological ms from the trial start."""
        if independent:
            raise ValueError("run_batch(independent=True): a chip cannot reset its analog state between trials "
                             "within one run; trials run back to back, separated by gap (biological ms)")
        n_trials = _n_trials(inputs)
        if outputs is None:
            outputs = [r.population for r in self._module.simulator.state.recorders if r.recorded.get("spikes")]
        if not outputs:
            raise ValueError("run_batch: no population records spikes; call pop.record('spikes') or pass outputs")
        spacing = duration + (duration if gap is None else gap)
        start = float(self.get_current_time())
        _play_back_to_back(inputs, n_trials, spacing, self.run, self.to_hardware_ms, start)
        result = PeerBatchResult(n_trials, outputs, to_script_ms=float(self.to_biological_ms(1.0)))
        result.add_back_to_back(spacing, start)
        return result


def _plasticity_rule_class(module: ModuleType) -> type:
    """pynn_brainscales' ``PlasticityRule`` refusing the suite's kernels by name."""
    base = module.PlasticityRule

    def __init__(self, *args, kernel: str | None = None, **kwargs):
        if kernel is not None:
            raise NotImplementedError(
                f"PPU kernel {kernel!r} of the suite cannot run on the hardware backend: the suite's kernels are C "
                "over its own HAL (ppu_firmware/include/ppu), which has no libnux/grenade port; on a chip, subclass "
                "PlasticityRule and return the kernel's C++ source from generate_kernel() (see pynn_brainscales' "
                "examples/plasticity_rule.py)")
        base.__init__(self, *args, **kwargs)

    return type("PlasticityRule", (base,), {"__init__": __init__, "__doc__": base.__doc__})


def _map_times(spike_times, convert: Callable):
    if len(spike_times) and np.ndim(spike_times[0]) > 0:
        return [convert(np.asarray(t, float)) for t in spike_times]
    return convert(np.asarray(spike_times, float))
