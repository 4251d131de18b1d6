"""Translation between a Boltzmann machine (``W``, ``b``) and a sampling network on the chip.

Biases become resting potentials through each neuron's activation function,
``v_rest_k = v05_k + alpha_k b_k``. A weight ``W_kj`` becomes the hardware weight whose
postsynaptic potential on neuron ``k``, averaged over the refractory time ``tau_ref`` of
the presynaptic state, shifts ``k``'s membrane by ``W_kj alpha_k`` (Petrovici et al., Phys.
Rev. E 94, 042312 (2016), sec. IV: the PSP shape maps Boltzmann weights to synaptic
weights). For a current-based synapse with onset slope ``J`` per weight LSB (CADC LSB per
us), ``tau_m`` and ``tau_syn`` the PSP is
``u(t) = J tau_m tau_syn / (tau_syn - tau_m) (exp(-t / tau_syn) - exp(-t / tau_m))``.

The mean PSP is a first-order model: PSPs of a presynaptic burst pile up, and a PSP peaks at
the start of the presynaptic state, so couplings on the chip come out stronger than
translated (about 1.5-2x on the emulated chip). :func:`measure_coupling_gain` measures this
factor with pairs of coupled samplers and :meth:`Translation.with_gain` corrects for it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activation import ActivationFits
from .boltzmann import check_parameters
from .network import NeuronProperties, SamplingNetwork


def mean_psp(strength: np.ndarray, tau_m_us: np.ndarray, tau_syn_us: np.ndarray, window_us: np.ndarray) -> np.ndarray:
    """Mean of the PSP of one weight LSB over ``[0, window_us]`` (CADC LSB)."""
    j, tm, ts, w = (np.asarray(x, float) for x in (strength, tau_m_us, tau_syn_us, window_us))
    near = np.isclose(tm, ts)
    ts_safe = np.where(near, ts * (1 + 1e-6), ts)  # tau_m = tau_syn: the limit, numerically
    integral = tm * ts_safe / (ts_safe - tm) * (ts_safe * -np.expm1(-w / ts_safe) - tm * -np.expm1(-w / tm))
    return j * integral / w


@dataclass
class Translation:
    """Per-neuron data that turns Boltzmann parameters into hardware ones and back."""

    v05: np.ndarray
    alpha: np.ndarray
    psp_exc: np.ndarray
    """Mean excitatory PSP per weight LSB over tau_ref of the presynaptic neuron, [post, pre] (CADC LSB)."""
    psp_inh: np.ndarray

    @classmethod
    def build(cls, fits: ActivationFits, props: NeuronProperties) -> "Translation":
        duration = props.tau_refrac_us if props.state_duration_us is None else props.state_duration_us
        window = duration[None, :]  # the presynaptic neuron's state duration
        exc = mean_psp(props.syn_strength_exc[:, None], props.tau_m_us[:, None], props.tau_syn_exc_us[:, None], window)
        inh = mean_psp(props.syn_strength_inh[:, None], props.tau_m_us[:, None], props.tau_syn_inh_us[:, None], window)
        return cls(fits.v05.copy(), fits.alpha.copy(), exc, inh)

    def to_hardware(self, weights: np.ndarray, biases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(hardware weights [post, pre] (float, unrounded), resting potentials (CADC LSB))``."""
        w, b = check_parameters(weights, biases)
        shift = w * self.alpha[:, None]  # wanted mean membrane shift on post k per active pre j
        w_hw = np.where(shift >= 0, shift / self.psp_exc, shift / self.psp_inh)
        return w_hw, self.v05 + self.alpha * b

    def with_gain(self, gain_exc: float, gain_inh: float) -> "Translation":
        """The same translation with the PSPs scaled by measured coupling gains (effective over
        translated Boltzmann weight, see :func:`measure_coupling_gain`)."""
        if not (gain_exc > 0 and gain_inh > 0):
            raise ValueError(f"coupling gains must be positive, got {gain_exc}, {gain_inh}")
        return Translation(self.v05.copy(), self.alpha.copy(), self.psp_exc * gain_exc, self.psp_inh * gain_inh)

    def weight_limit(self, weight_max: float) -> float:
        """Largest ``|W|`` that every synapse can realise with ``|w_hw| <= weight_max``."""
        return float(weight_max * min(np.min(self.psp_exc), np.min(self.psp_inh)) / np.max(self.alpha))

    def to_boltzmann(self, weights_hw: np.ndarray, v_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`to_hardware`: the (not necessarily symmetric) ``W`` a hardware network
        realises on each postsynaptic neuron, and ``b``."""
        w_hw = np.asarray(weights_hw, float)
        shift = np.where(w_hw >= 0, w_hw * self.psp_exc, w_hw * self.psp_inh)
        return shift / self.alpha[:, None], (np.asarray(v_rest, float) - self.v05) / self.alpha


def pair_coupling(states: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Coupling each pair of samplers realises, ``log(p11 p00 / (p10 p01))`` (the Boltzmann
    weight of two units exactly) from binary samples ``states`` (n_samples, n); ``pairs`` (k, 2)."""
    z = np.asarray(states, bool)
    i, j = np.asarray(pairs).T
    counts = [np.mean(a & b, axis=0) for a, b in ((z[:, i], z[:, j]), (~z[:, i], ~z[:, j]),
                                                  (z[:, i], ~z[:, j]), (~z[:, i], z[:, j]))]
    p11, p00, p10, p01 = (np.maximum(c, 0.5 / z.shape[0]) for c in counts)
    return np.log(p11 * p00 / (p10 * p01))


def measure_coupling_gain(network: SamplingNetwork, translation: Translation, weight: float = 2.0,
                          n_trials: int = 40, duration_us: float = 2000.0) -> tuple[float, float]:
    """Effective over translated coupling, ``(excitatory, inhibitory)``: the samplers coupled in
    pairs (0-1, 2-3, ...) with Boltzmann weight ``+weight`` (then ``-weight``) and biases
    ``-weight / 2`` (``+weight / 2``), so that each pair ideally realises exactly ``weight``;
    the gain is the median over pairs of :func:`pair_coupling` / ``weight``. One chip call each."""
    n = network.n
    if n < 2 or not weight > 0:
        raise ValueError(f"need >= 2 samplers and weight > 0, got n = {n}, weight = {weight}")
    pairs = np.arange(2 * (n // 2)).reshape(-1, 2)
    gains = []
    for sign in (1.0, -1.0):
        w = np.zeros((n, n))
        w[pairs[:, 0], pairs[:, 1]] = w[pairs[:, 1], pairs[:, 0]] = sign * weight
        states = network.sample(*translation.to_hardware(w, np.full(n, -sign * weight / 2)), n_trials,
                                duration_us).states
        gains.append(float(np.median(pair_coupling(states, pairs) / (sign * weight))))
    return gains[0], gains[1]
