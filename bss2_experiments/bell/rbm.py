"""Training a sampling network with hidden units (a restricted Boltzmann machine:
visible-hidden synapses only) to a target distribution over the visible units.

The gradient of D_KL(target || p_v) is ``<v h>_data - <v h>_model`` with
``<v h>_data = sum_v target(v) v p(h = 1 | v)``. A :class:`Moments` source gives the model
moments and the conditional ``p(h = 1 | v)``: from the exact Boltzmann distribution
(``sigmoid(b_j + W_j . v)``; software pre-training, summed over the ``2**n_visible``
visible states), or from chip samples of all units (in the loop): the hidden units' mean
over the samples with visible state ``v``, i.e. the chip's own conditional, read from
free-running samples without a clamped phase (the sigmoid of the Boltzmann parameters where
``v`` was not sampled). Hinton's RBM rule, with momentum or Adam steps
(:class:`~bss2_experiments.sampling.training.ParameterStep`); on BrainScaleS-2 with a
Hebbian in-the-loop scheme by
Czischek et al., SciPost Phys. 12, 039 (2022).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm import tqdm

from bss2_experiments.sampling import boltzmann as bm
from bss2_experiments.sampling.network import SamplingNetwork
from bss2_experiments.sampling.training import ParameterStep, TrainingConfig
from bss2_experiments.sampling.translation import Translation

Moments = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]
"""``(W, b) -> (<z>, <z z^T>, visible distribution, p(h = 1 | v) or None)`` of the model
(``None``: the Boltzmann conditional)."""


@dataclass
class RBMHistory:
    dkl: list[float] = field(default_factory=list)
    """D_KL(target || model visible distribution) per iteration (infinite while the model misses a state)."""
    tvd: list[float] = field(default_factory=list)
    """Total-variation distance ``sum |target - model| / 2`` per iteration."""


def chip_moments(network: SamplingNetwork, translation: Translation, n_visible: int, n_trials: int,
                 duration_us: float, trials_per_run: int | None = None) -> Moments:
    """Model moments sampled on the chip (``trials_per_run``: see :meth:`SamplingNetwork.sample`)."""
    def moments(w, b):
        z = network.sample(*translation.to_hardware(w, b), n_trials, duration_us, trials_per_run).states
        index = bm.state_index(z[:, :n_visible])
        counts = np.bincount(index, minlength=2 ** n_visible)
        sums = np.stack([np.bincount(index, weights=z[:, k], minlength=2 ** n_visible)
                         for k in range(n_visible, z.shape[1])], axis=1)
        conditional = np.full(sums.shape, np.nan)
        seen = counts >= 20
        conditional[seen] = sums[seen] / counts[seen, None]
        return (*bm.sample_moments(z), bm.histogram(z[:, :n_visible]), conditional)
    return moments


def exact_moments(n_visible: int) -> Moments:
    """Exact model moments of an RBM, summed over the ``2**n_visible`` visible states only:
    ``p(v) ~ exp(a . v) prod_j (1 + exp(c_j + W_j . v))`` and ``p(h_j = 1 | v) = sigmoid(c_j + W_j . v)``
    with hidden units conditionally independent (so any number of hidden units is cheap)."""
    v = bm.all_states(n_visible).astype(float)

    def moments(w, b):
        x = b[n_visible:] + v @ w[:n_visible, n_visible:]
        log_p = v @ b[:n_visible] + np.logaddexp(0.0, x).sum(axis=1)
        p = np.exp(log_p - log_p.max())
        p /= p.sum()
        h = 0.5 * (1.0 + np.tanh(0.5 * x))
        z = np.concatenate([v, h], axis=1)
        c = np.einsum("s,si,sj->ij", p, z, z)
        m = p @ z
        np.fill_diagonal(c, m)  # <h_j h_j> = <h_j>
        return m, c, p, None
    return moments


def rbm_mask(n: int, n_visible: int) -> np.ndarray:
    mask = np.zeros((n, n), bool)
    mask[:n_visible, n_visible:] = mask[n_visible:, :n_visible] = True
    return mask


def initial_parameters(n: int, n_visible: int, rng: np.random.Generator, scale: float) -> tuple[np.ndarray, np.ndarray]:
    upper = np.triu(rng.normal(0.0, scale, (n, n)), 1)
    return np.where(rbm_mask(n, n_visible), upper + upper.T, 0.0), np.zeros(n)


def train_rbm(model: Moments, target: np.ndarray, n_visible: int, weights: np.ndarray, biases: np.ndarray,
              config: TrainingConfig, weight_limit: float = np.inf,
              progress: bool = False) -> tuple[np.ndarray, np.ndarray, RBMHistory]:
    """Train ``(weights, biases)`` (start point; RBM structure) so that the visible units sample
    ``target``. ``|W|`` stays below ``weight_limit`` (what the synapses can hold, see
    :meth:`Translation.weight_limit`). Returns ``(W, b, history)``; the result averages the
    last iterations (``config.average_fraction``)."""
    w, b = (x.copy() for x in bm.check_parameters(weights, biases))
    n = b.size
    target = bm.check_distribution(target, 2 ** n_visible)
    mask = rbm_mask(n, n_visible)
    v = bm.all_states(n_visible).astype(float)
    step = ParameterStep(config, w.shape, b.shape)
    history = RBMHistory()
    weights_seen, biases_seen = [], []
    for _ in tqdm(range(config.iterations), desc="training", leave=False, disable=not progress):
        m_model, c_model, p_visible, conditional = model(w, b)
        history.dkl.append(bm.dkl(target, p_visible))
        history.tvd.append(0.5 * float(np.abs(target - p_visible).sum()))
        h = 1.0 / (1.0 + np.exp(-(b[n_visible:] + v @ w[:n_visible, n_visible:])))  # p(h = 1 | v)
        if conditional is not None:
            h = np.where(np.isnan(conditional), h, conditional)
        z_data = np.concatenate([v, h], axis=1)
        m_data = target @ z_data
        c_data = np.einsum("s,si,sj->ij", target, z_data, z_data)
        dw, db = step(np.where(mask, c_data - c_model, 0.0), m_data - m_model)
        w, b = np.clip(w + dw, -weight_limit, weight_limit), b + db
        weights_seen.append(w)
        biases_seen.append(b)
    keep = max(1, int(round(config.average_fraction * config.iterations)))
    if config.iterations:
        w, b = np.mean(weights_seen[-keep:], axis=0), np.mean(biases_seen[-keep:], axis=0)
    return w, b, history
