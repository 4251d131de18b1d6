"""The forward pass on a PyNN backend: the one adapter between TTFS training and a chip.

The network of Goeltz et al., Nat. Mach. Intell. 3:823 (2021), on BrainScaleS-2: every
layer is a population of calibrated current-based LIF neurons with tau_m = tau_s
(:attr:`HardwareSetup.tau_us`, 6 hardware us), inputs and bias spikes are spike sources,
and a batch of samples runs as independent trials in one call (``sim.run_batch``).
Model times (units of tau_s) become biological ms as ``t * tau_us`` (1 biological ms =
1 hardware us, :mod:`emulator.units`); measured first spikes come back in tau_s.

Weights: on the emulator (and a real chip) the cell type is ``CalibHXNeuronCuba`` and a
model weight ``w`` becomes the integer ``round(w * weight_scale)`` clipped to +-63
(6 bit + sign; negative weights go to inhibitory rows). ``weight_scale`` makes the
calibrated chip match the model: a hardware weight of 1 raises the synaptic input by the
calibrated strength ``s`` (CADC LSB per us), so the PSP peak in threshold units is
``s * tau_us / (v_thresh - v_rest)`` per weight LSB. On NEST / Brian2 the cell type is
PyNN's ``IF_curr_exp`` with the same time constants and weights in nA
(``w * cm * theta_mV / tau_ms``, from the *quantised* hardware weights), so the same
trained network can be evaluated side by side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network

CHIP_BACKENDS = ("emulator", "hardware")


@dataclass(frozen=True)
class HardwareSetup:
    """Neuron targets for the chip (calibration units: CADC LSB, hardware us, CapMem DAC)."""

    tau_us: float = 6.0
    """tau_m = tau_s (hardware us); the model's time unit."""
    v_rest: float = 80.0
    v_reset: float = 80.0
    v_thresh: float = 120.0
    tau_refrac_us: float = 16.0
    i_synin_gm: float = 800.0
    """OTA bias of both synaptic inputs: the strongest calibratable synapses, so that
    the 6-bit weights span about +-1.6 threshold units."""
    synapse_dac_bias: float = 1022.0
    weight_max: int = 63
    trial_tau: float = 4.0
    """Length of one trial in tau_s; a neuron silent until then counts as not spiking."""
    timestep_us: float = 0.1
    """Emulator integration step (hardware us)."""
    peer_gap_tau: float = 12.0
    """NEST / Brian2 play trials back to back this far apart (tau_s) so that each starts at rest."""
    peer_theta_mv: float = 15.0
    """NEST / Brian2: threshold above rest (mV), -65 -> -50 mV."""
    peer_cm_nf: float = 1.0


def _strength(batch) -> float:
    """Calibrated synaptic strength (CADC LSB per us per weight LSB) of the chip a batch ran
    on, median over neurons."""
    result = getattr(batch, "calibration", None)
    if result is None:
        raise RuntimeError("the backend's batch result names no calibration (BatchResult.calibration); pass "
                           "weight_scale explicitly")
    return float(np.median(np.concatenate([np.ravel(result.achieved["syn_strength_exc"]),
                                           np.ravel(result.achieved["syn_strength_inh"])])))


class ChipForward:
    """``forward(t_in) -> [first-spike times of each layer]`` measured on a PyNN backend.

    Build once per network shape; :meth:`__call__` writes the current (quantised)
    weights of ``network`` and runs the batch as independent trials. ``chip``: an
    ``emulator.interface.Chip`` to run on instead of emulated chip ``chip_id``.
    """

    def __init__(self, network: Network, backend: str = "emulator", chip_id: int = 0, seed: int | None = None,
                 setup: HardwareSetup = HardwareSetup(), ideal: bool = False, calibration="auto",
                 weight_scale: float | None = None, progress: bool = False, chip=None):
        from bss2_experiments import backends
        self.network, self.setup, self.backend = network, setup, backend
        self.on_chip = backend in CHIP_BACKENDS
        self.sim = sim = backends.load(backend)
        # the seed drives the chip's temporal noise; the peers draw no random numbers here
        sim.setup(timestep=setup.timestep_us, chip_id=chip_id, ideal=ideal, calibration=calibration,
                  progress=progress, i_synin_gm_exc=setup.i_synin_gm, i_synin_gm_inh=setup.i_synin_gm,
                  synapse_dac_bias=setup.synapse_dac_bias,
                  **({"seed": seed} if self.on_chip else {}), **({"chip": chip} if chip is not None else {}))
        self.inputs = sim.Population(network.sizes[0], sim.SpikeSourceArray(spike_times=[]), label="inputs")
        self.layers = []
        self.projections: list[list[tuple]] = []
        """per layer: (source population, excitatory projection, inhibitory projection)"""
        self.biases = {}
        """bias source population -> its spike trains (biological ms), replayed in every trial"""
        pre = self.inputs
        for l, size in enumerate(network.sizes[1:]):
            post = sim.Population(size, self._cell(), label=f"layer{l}")
            post.record("spikes")
            sources = [pre]
            if network.bias_times[l]:
                bias = sim.Population(len(network.bias_times[l]), sim.SpikeSourceArray(spike_times=[]), label=f"bias{l}")
                self.biases[bias] = [[t * setup.tau_us] for t in network.bias_times[l]]
                sources.append(bias)
            self.projections.append([(src, *(sim.Projection(src, post, sim.AllToAllConnector(),
                                                            sim.StaticSynapse(weight=0.0), receptor_type=kind)
                                             for kind in ("excitatory", "inhibitory")))
                                     for src in sources])
            self.layers.append(post)
            pre = post
        self.last_batch = None
        """The backend's result of the last forward pass (``BatchResult`` on a chip backend)."""
        if weight_scale is None:
            if not self.on_chip:
                raise ValueError("a reference simulator needs the weight_scale of the chip the weights were trained on")
            # one silent trial calibrates the chip (or loads its cached calibration)
            weight_scale = (setup.v_thresh - setup.v_rest) / (_strength(self._run(np.full((1, network.sizes[0]), np.inf)))
                                                             * setup.tau_us)
        self.weight_scale = float(weight_scale)

    def _cell(self):
        s, sim = self.setup, self.sim
        if self.on_chip:
            return sim.CalibHXNeuronCuba(
                v_rest=s.v_rest, v_reset=s.v_reset, v_thresh=s.v_thresh, tau_m=s.tau_us, tau_syn_E=s.tau_us,
                tau_syn_I=s.tau_us, tau_refrac=s.tau_refrac_us, i_synin_gm_E=s.i_synin_gm, i_synin_gm_I=s.i_synin_gm,
                synapse_dac_bias=s.synapse_dac_bias)
        return sim.IF_curr_exp(tau_m=s.tau_us, tau_syn_E=s.tau_us, tau_syn_I=s.tau_us, v_rest=-65.0, v_reset=-65.0,
                               v_thresh=-65.0 + s.peer_theta_mv, tau_refrac=s.tau_refrac_us, cm=s.peer_cm_nf)

    @property
    def weight_limit(self) -> float:
        """Largest |model weight| the 6-bit synapses hold."""
        return self.setup.weight_max / self.weight_scale

    def hardware_weights(self) -> list[np.ndarray]:
        """The network's weights as the chip holds them: integers in -63..63."""
        m = self.setup.weight_max
        return [np.clip(np.rint(w * self.weight_scale), -m, m) for w in self.network.weights]

    def _write_weights(self) -> None:
        s = self.setup
        for w_hw, projections in zip(self.hardware_weights(), self.projections):
            w = w_hw if self.on_chip else w_hw / self.weight_scale * s.peer_cm_nf * s.peer_theta_mv / s.tau_us
            row = 0
            for src, excitatory, inhibitory in projections:  # rows: inputs of the layer, then its biases
                block = w[row:row + src.size]
                excitatory.set(weight=np.where(block > 0, block, 0.0))
                inhibitory.set(weight=np.where(block < 0, block, 0.0))
                row += src.size

    def _run(self, t_in: np.ndarray):
        tau, n = self.setup.tau_us, len(t_in)
        if self.backend == "emulator":  # array inputs: the stimulus is built without per-trial lists
            inputs = {self.inputs: t_in * tau}
            inputs.update({pop: np.broadcast_to(np.asarray(trains, float)[:, 0], (n, pop.size))
                           for pop, trains in self.biases.items()})
            return self.sim.run_batch(self.setup.trial_tau * tau, inputs)
        inputs = {self.inputs: [[[t * tau] if np.isfinite(t) else [] for t in sample] for sample in t_in]}
        inputs.update({pop: [trains] * n for pop, trains in self.biases.items()})
        if self.on_chip:
            return self.sim.run_batch(self.setup.trial_tau * tau, inputs)
        return self.sim.run_batch(self.setup.peer_gap_tau * tau, inputs, outputs=self.layers, independent=False)

    def __call__(self, t_in: np.ndarray) -> list[np.ndarray]:
        """First spike of every neuron of every layer (tau_s; ``inf`` = silent within the trial)."""
        self._write_weights()
        result = self._run(np.asarray(t_in, dtype=float))
        self.last_batch = result
        limit = self.setup.trial_tau
        times = []
        for pop in self.layers:
            first = _first_spikes(result, pop) / self.setup.tau_us
            times.append(np.where(first < limit, first, np.inf))
        return times


def _first_spikes(result, population) -> np.ndarray:
    """(n_trials, size) first spike times (ms; inf = none) of a batch result; the emulator's
    ``BatchResult`` computes them as arrays, the peers' results hold lists."""
    if hasattr(result, "first_spike_times"):
        return result.first_spike_times(population)
    return np.array([[t[0] if len(t) else np.inf for t in trial] for trial in result.spike_times(population)])
