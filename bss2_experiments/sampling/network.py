"""The sampling core: LIF sampler neurons with Poisson background on a PyNN backend.

Neural sampling (Petrovici et al., Phys. Rev. E 94, 042312 (2016); on BrainScaleS-2:
Billaudelle et al., ISCAS 2020; Czischek et al., SciPost Phys. 12, 039 (2022); Klassert et
al., iScience 25, 104707 (2022)): each sampler neuron gets private excitatory and inhibitory
Poisson background, which makes its firing stochastic; its state is ``z_k(t) = 1`` for
``tau_ref`` after each of its spikes (the refractory time, optionally extended by
:attr:`SamplerSetup.state_extension_us`), else 0. Recurrent synapses make
the network's joint state a sample of a Boltzmann distribution.

One :class:`SamplingNetwork` serves every experiment that samples (a fully visible machine,
Bell-state and TFIM networks with hidden units): it takes hardware weights and resting
potentials and returns binary states read from the spike trains of many independent trials
run in one chip call (``sim.run_batch``), or spread over several runs to average the chip's
per-run parameter noise (:meth:`SamplingNetwork.sample`).

On a chip backend the samplers are ``HXNeuron`` circuits set to a calibration
(:func:`calibration.load_or_calibrate` for :meth:`SamplerSetup.targets`) whose leak
potential DAC is changed per neuron to set the bias without recalibrating (as BSS2
experiments set CapMem cells over a calibration). The DAC -> CADC slope of each neuron's
leak potential is measured once (CADC recording of the membranes at rest). On NEST /
Brian2 the samplers are ``IF_curr_exp`` with the same time constants; potentials map with
:mod:`bss2_experiments.pynn.scaling`, hardware weights to nA with ``syn_strength``.

The emulator has no on-chip background generator yet, so on the chip the background is
host-drawn Poisson trains given to ``run_batch`` as arrays (its vectorised input path); the
reference simulators use their own Poisson generators (``SpikeSourcePoisson``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration import CalibrationTargets
from emulator.interface import CAPMEM_MAX_DAC

CHIP_BACKENDS = ("emulator",)
PEER_BACKENDS = ("nest", "brian2")


@dataclass(frozen=True)
class SamplerSetup:
    """Sampler neurons and background (calibration units: CADC LSB, hardware us, CapMem DAC)."""

    tau_m_us: float = 1.0
    """Short membrane time constant: the membrane follows its synaptic input (high-conductance-like)."""
    tau_syn_us: float = 8.0
    tau_refrac_us: float = 8.0
    """tau_ref: a sampler is in state 1 for this long after each spike (tau_syn = tau_ref, Petrovici 2016)."""
    v_rest: float = 120.0
    """Calibrated leak potential; biases move it per neuron through the leak DAC."""
    v_reset: float = 115.0
    """Just below threshold: after tau_ref a strongly driven sampler fires again at once, so
    p(z = 1) can approach 1 (with a reset far below threshold it saturates early)."""
    v_thresh: float = 125.0
    i_synin_gm: float = 800.0
    synapse_dac_bias: float = 600.0
    """The chip's default synapse DAC bias: a network of HXNeuron circuits runs with it."""
    noise_rate_per_us: float = 0.5
    """Rate of each background source (one excitatory, one inhibitory per sampler), per hardware us."""
    noise_weight: int = 14
    """Hardware weight of every background synapse."""
    weight_max: int = 126
    """Largest |hardware weight| between samplers (two 6-bit synapses per pair)."""
    state_extension_us: float = 0.0
    """A sampler reads as ``z = 1`` for ``tau_ref`` plus this after each spike. A strongly driven
    sampler needs a moment after its refractory time to climb from reset back to threshold
    (~0.3-0.6 us at ``tau_m`` = 1 us), so with 0 its ``p(z = 1)`` saturates below 1 (0.94-0.98);
    covering that gap makes the activation function logistic up to 1 (the Bell experiment uses it)."""
    timestep_us: float = 0.2
    burn_in_us: float = 20.0
    """Start of each trial that is not sampled (the network starts from rest)."""
    sample_period_us: float = 1.0
    """States are read every this many hardware us."""
    peer_syn_strength: float = 0.095
    """NEST / Brian2: synaptic strength per weight LSB (CADC LSB per us; the calibrated median on chip 0)."""
    peer_cm_nf: float = 1.0

    def targets(self) -> CalibrationTargets:
        return CalibrationTargets(
            v_rest=self.v_rest, v_reset=self.v_reset, v_thresh=self.v_thresh, tau_m_us=self.tau_m_us,
            tau_syn_exc_us=self.tau_syn_us, tau_syn_inh_us=self.tau_syn_us, tau_refrac_us=self.tau_refrac_us,
            i_synin_gm_exc=self.i_synin_gm, i_synin_gm_inh=self.i_synin_gm, synapse_dac_bias=self.synapse_dac_bias)


@dataclass(frozen=True)
class NeuronProperties:
    """What the translation needs of each sampler (arrays over neurons)."""

    tau_m_us: np.ndarray
    tau_syn_exc_us: np.ndarray
    tau_syn_inh_us: np.ndarray
    tau_refrac_us: np.ndarray
    syn_strength_exc: np.ndarray
    """Jump of dV/dt at PSP onset per weight LSB (CADC LSB per hardware us)."""
    syn_strength_inh: np.ndarray
    state_duration_us: np.ndarray | None = None
    """How long a sampler reads as 1 after a spike (``tau_ref`` when None)."""


@dataclass
class Samples:
    """Binary states read from a sampling run."""

    states: np.ndarray
    """(n_samples, n) uint8."""
    rates_per_us: np.ndarray
    """Mean firing rate of each sampler (per hardware us)."""
    sampled_us: float
    """Total hardware time sampled (all trials, after burn-in)."""


def poisson_trains(rng: np.random.Generator, n_trials: int, n_sources: int, rate_per_us: float,
                   duration_us: float) -> np.ndarray:
    """Poisson spike times as ``(n_trials, n_sources, k)`` (NaN-padded, us from the trial start)."""
    mean = rate_per_us * duration_us
    k = int(np.ceil(mean + 6 * np.sqrt(mean) + 10))
    times = np.cumsum(rng.exponential(1.0 / rate_per_us, (n_trials, n_sources, k)), axis=2)
    times[times >= duration_us] = np.nan
    return times


def states_from_spikes(spikes: list[list[np.ndarray]], tau_ref_us: np.ndarray, grid_us: np.ndarray) -> np.ndarray:
    """States ``z_k(t) = 1`` iff neuron ``k`` spiked in ``(t - tau_ref_k, t]``, at every time of
    ``grid_us`` in every trial: shape (n_trials * len(grid), n), trials one after another.
    ``spikes[trial][neuron]`` are spike times (us from the trial start)."""
    n_trials, n = len(spikes), len(tau_ref_us)
    out = np.zeros((n_trials, grid_us.size, n), np.uint8)
    for trial, trains in enumerate(spikes):
        for k in range(n):
            t = np.sort(np.asarray(trains[k], dtype=float))
            if t.size == 0:
                continue
            last = np.searchsorted(t, grid_us, side="right") - 1
            ok = last >= 0
            out[trial, ok, k] = (grid_us[ok] - t[last[ok]]) < tau_ref_us[k]
    return out.reshape(-1, n)


class SamplingNetwork:
    """``n`` sampler neurons, all-to-all recurrent synapses, private Poisson background.

    :meth:`sample` runs ``n_trials`` independent trials of ``duration_us`` with the given
    hardware weights (signed integers, ``weights[post, pre]``) and resting potentials
    (CADC LSB) and returns the binary states."""

    def __init__(self, n: int, backend: str = "emulator", chip_id: int = 0, seed: int = 0,
                 setup: SamplerSetup = SamplerSetup(), ideal: bool = False, progress: bool = False,
                 syn_strength: float | None = None):
        from bss2_experiments import backends
        if n < 1:
            raise ValueError(f"a sampling network needs at least one neuron, got n = {n}")
        if backend not in CHIP_BACKENDS + PEER_BACKENDS:
            raise ValueError(f"backend {backend!r}: the sampling network runs on "
                             f"{CHIP_BACKENDS + PEER_BACKENDS} (a lab chip would need pynn_brainscales' "
                             f"calibrated HXNeuron defaults, not wired up yet)")
        self.n, self.setup, self.backend = n, setup, backend
        self.on_chip = backend in CHIP_BACKENDS
        self.rng = np.random.default_rng(seed)
        self.sim = sim = backends.load(backend)
        self.calibration = None
        self.peer_syn_strength = setup.peer_syn_strength if syn_strength is None else float(syn_strength)
        """NEST / Brian2: CADC LSB per us per hardware weight LSB (weights -> nA)."""
        from bss2_experiments.pynn import scaling
        timestep_ms = float(scaling.us_to_ms(setup.timestep_us))
        if self.on_chip:
            from calibration import load_or_calibrate
            from emulator.chip import Emulator
            chip = Emulator(chip_id=chip_id, ideal=ideal, dt_us=setup.timestep_us)
            self.calibration = load_or_calibrate(chip, setup.targets(), progress=progress)
            sim.setup(timestep=timestep_ms, chip=chip, seed=seed, progress=progress)
            self.chip_identity = chip.identity
        else:
            sim.setup(timestep=timestep_ms, seed=seed)
            self.chip_identity = None
        self.samplers = sim.Population(n, self._cell(), label="samplers")
        self.samplers.record("spikes")
        if self.on_chip:
            source = sim.SpikeSourceArray(spike_times=[])
        else:  # the reference simulators draw the background with their own Poisson generators
            source = sim.SpikeSourcePoisson(rate=1e3 * setup.noise_rate_per_us * scaling.US_PER_MS)
        self.noise = [sim.Population(n, source, label=f"noise_{kind}") for kind in ("exc", "inh")]
        w_noise = float(self._weight(np.array(float(setup.noise_weight))))
        sim.Projection(self.noise[0], self.samplers, sim.OneToOneConnector(), sim.StaticSynapse(weight=w_noise),
                       receptor_type="excitatory")
        sim.Projection(self.noise[1], self.samplers, sim.OneToOneConnector(), sim.StaticSynapse(weight=-w_noise),
                       receptor_type="inhibitory")
        self.recurrent = {kind: sim.Projection(self.samplers, self.samplers, sim.AllToAllConnector(),
                                               sim.StaticSynapse(weight=0.0), receptor_type=kind)
                          for kind in ("excitatory", "inhibitory")}
        self.properties = self._properties()
        self.leak_slope = self._measure_leak_slope() if self.on_chip else None
        """CADC LSB per leak DAC of each sampler (chip backends)."""

    # -- cells and units -------------------------------------------------------------------
    def _cell(self):
        s, sim = self.setup, self.sim
        if not self.on_chip:
            from bss2_experiments.pynn import scaling
            ms = scaling.us_to_ms
            return sim.IF_curr_exp(tau_m=ms(s.tau_m_us), tau_syn_E=ms(s.tau_syn_us), tau_syn_I=ms(s.tau_syn_us),
                                   tau_refrac=ms(s.tau_refrac_us), cm=s.peer_cm_nf, v_rest=scaling.cadc_to_mv(s.v_rest),
                                   v_reset=scaling.cadc_to_mv(s.v_reset), v_thresh=scaling.cadc_to_mv(s.v_thresh))
        defaults = sim.HXNeuron.default_parameters
        config = self.calibration.apply()
        params = {}
        for name, default in defaults.items():
            value = getattr(config.neurons, name)[:self.n]
            params[name] = value.astype(bool) if isinstance(default, bool) else value.astype(float)
        self._calibrated_leak_dac = params["leak_v_leak"].copy()
        return sim.HXNeuron(**params)

    def _properties(self) -> NeuronProperties:
        s, n = self.setup, self.n
        if self.on_chip:
            a = self.calibration.achieved
            values = [np.asarray(a[name], float)[:n].copy() for name in (
                "tau_m", "tau_syn_exc", "tau_syn_inh", "tau_refrac", "syn_strength_exc", "syn_strength_inh")]
        else:
            strength = np.full(n, self.peer_syn_strength)
            values = [np.full(n, s.tau_m_us), np.full(n, s.tau_syn_us), np.full(n, s.tau_syn_us),
                      np.full(n, s.tau_refrac_us), strength, strength.copy()]
        return NeuronProperties(*values, state_duration_us=values[3] + s.state_extension_us)

    def _weight(self, w_hw: np.ndarray) -> np.ndarray:
        """Hardware weights -> the backend's weight unit (nA on the peers)."""
        if self.on_chip:
            return w_hw
        from bss2_experiments.pynn import scaling
        return scaling.current_na(w_hw * self.peer_syn_strength, self.setup.peer_cm_nf)

    def _measure_leak_slope(self, dac_step: float = 100.0, duration_us: float = 40.0) -> np.ndarray:
        """CADC LSB per leak DAC of each sampler: membranes at rest (threshold off, no input)
        recorded by the CADC at the calibrated DAC and ``dac_step`` above it."""
        from bss2_experiments.pynn import scaling
        sim, pop = self.sim, self.samplers
        pop.set(threshold_enable=False)
        pop.record("v", device="cadc")
        levels = []
        for shift in (0.0, dac_step):
            pop.set(leak_v_leak=np.clip(self._calibrated_leak_dac + shift, 0, CAPMEM_MAX_DAC))
            sim.run(float(scaling.us_to_ms(duration_us)))
            v = np.asarray(pop.get_data("v", clear=True).segments[-1].analogsignals[0].magnitude)
            levels.append(v[v.shape[0] // 2:].mean(axis=0))
            sim.reset()
        pop.record(None)
        pop.record("spikes")
        pop.set(threshold_enable=True, leak_v_leak=self._calibrated_leak_dac)
        slope = (levels[1] - levels[0]) / dac_step
        if np.any(slope <= 0):
            raise RuntimeError(f"the leak potential of samplers {np.flatnonzero(slope <= 0).tolist()} does not rise "
                               f"with its DAC; check the calibration")
        return slope

    def leak_dac(self, v_rest_cadc: np.ndarray) -> np.ndarray:
        """Leak DAC values that put the samplers' resting potentials at ``v_rest_cadc``."""
        a = np.asarray(self.calibration.achieved["leak"], float)[:self.n]
        return np.clip(np.rint(self._calibrated_leak_dac + (v_rest_cadc - a) / self.leak_slope), 0, CAPMEM_MAX_DAC)

    # -- running ---------------------------------------------------------------------------
    def configure(self, weights_hw: np.ndarray, v_rest_cadc: np.ndarray) -> None:
        """Write hardware weights (``weights[post, pre]``, signed, diagonal ignored) and resting
        potentials (CADC LSB) into the network."""
        w = np.asarray(weights_hw, dtype=float)
        v = np.asarray(v_rest_cadc, dtype=float)
        if w.shape != (self.n, self.n) or v.shape != (self.n,):
            raise ValueError(f"weights need shape ({self.n}, {self.n}) and potentials ({self.n},), got {w.shape}, "
                             f"{v.shape}")
        m = self.setup.weight_max
        w = np.clip(np.rint(w), -m, m)
        np.fill_diagonal(w, 0.0)
        pre_post = w.T  # PyNN's weight arrays are indexed [pre, post]
        self.recurrent["excitatory"].set(weight=self._weight(np.where(pre_post > 0, pre_post, 0.0)))
        self.recurrent["inhibitory"].set(weight=self._weight(np.where(pre_post < 0, pre_post, 0.0)))
        if self.on_chip:
            self.samplers.set(leak_v_leak=self.leak_dac(v))
        else:
            from bss2_experiments.pynn import scaling
            self.samplers.set(v_rest=scaling.cadc_to_mv(v))

    def sample(self, weights_hw: np.ndarray, v_rest_cadc: np.ndarray, n_trials: int, duration_us: float,
               trials_per_run: int | None = None) -> Samples:
        """Configure, run ``n_trials`` independent trials of ``duration_us`` (hardware us) and read
        the states every ``sample_period_us`` after the burn-in.

        All trials go into one chip run unless ``trials_per_run`` spreads them over runs of at
        most that many trials. Each run draws the analog parameters' temporal (CapMem) error
        afresh, and a strongly coupled sampler amplifies it: on chip 0 the Bell network's
        visible distribution moved by a total variation of 0.3-0.4 from one run to the next with
        narrow activation functions (background weight 5; 0.04 on the ideal chip), so such
        networks sample across many short runs to average it.
        Reference simulators run the trials back to back either way."""
        s = self.setup
        if duration_us <= s.burn_in_us + s.sample_period_us:
            raise ValueError(f"duration_us = {duration_us} leaves nothing to sample after the burn-in of "
                             f"{s.burn_in_us} us; use a longer trial")
        if n_trials < 1:
            raise ValueError(f"n_trials must be >= 1, got {n_trials}")
        if trials_per_run is not None and trials_per_run < 1:
            raise ValueError(f"trials_per_run must be >= 1 (or None: all trials in one run), got {trials_per_run}")
        per_run = n_trials if trials_per_run is None or not self.on_chip else trials_per_run
        self.configure(weights_hw, v_rest_cadc)
        spikes = [trial for first in range(0, n_trials, per_run)
                  for trial in self._run(min(per_run, n_trials - first), duration_us)]
        grid = np.arange(s.burn_in_us, duration_us, s.sample_period_us)
        states = states_from_spikes(spikes, self.properties.state_duration_us, grid)
        counts = np.array([[t.size for t in trial] for trial in spikes]).sum(axis=0)
        return Samples(states, counts / (n_trials * duration_us), n_trials * (duration_us - s.burn_in_us))

    def _run(self, n_trials: int, duration_us: float) -> list[list[np.ndarray]]:
        """Spike times (us from each trial's start) ``[trial][neuron]``."""
        from bss2_experiments.pynn import scaling
        duration_ms = float(scaling.us_to_ms(duration_us))
        if self.on_chip:
            noise = [scaling.us_to_ms(poisson_trains(self.rng, n_trials, self.n, self.setup.noise_rate_per_us,
                                                     duration_us)) for _ in self.noise]
            trains = self.sim.run_batch(duration_ms, dict(zip(self.noise, noise))).spike_times(self.samplers)
        else:
            trains = self._run_back_to_back(n_trials, duration_ms)
        return [[scaling.ms_to_us(np.asarray(t)) for t in trial] for trial in trains]

    def _run_back_to_back(self, n_trials: int, duration_ms: float) -> list:
        """Reference simulators: the trials one after another in one continuing run (sampling is
        stationary, so only the burn-in of the first trial matters); ``[trial][neuron]`` in ms
        from each trial's start. (The peers' ``run_batch`` replays input trains; here the
        background comes from the simulators' own Poisson generators, so there are none.)"""
        t0 = float(self.sim.get_current_time())
        self.sim.run(n_trials * duration_ms)
        trains = self.samplers.get_data("spikes", clear=True).segments[-1].spiketrains
        by_index = [np.asarray(st.magnitude) - t0 for st in sorted(
            trains, key=lambda st: int(st.annotations.get("source_index", 0)))]
        return [[t[(t >= k * duration_ms) & (t < (k + 1) * duration_ms)] - k * duration_ms for t in by_index]
                for k in range(n_trials)]
