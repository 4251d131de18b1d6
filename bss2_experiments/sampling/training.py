"""In-the-loop training of a fully visible Boltzmann machine on a sampling network.

Each iteration samples the network with the current parameters translated to the chip and
moves the Boltzmann parameters along the log-likelihood gradient
``dW_jk = eta (<z_j z_k>_target - <z_j z_k>_model)``, ``db_k = eta (<z_k>_target - <z_k>_model)``
with model moments measured on the chip (the wake-sleep rule of Boltzmann machines, used
on BrainScaleS by Kungl et al., Front. Neurosci. 13:1201 (2019)). The chip's deviations from
the ideal translation (residual fixed-pattern noise, PSP shape, refractory dynamics) are
thus learned away.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from . import boltzmann as bm
from .network import SamplingNetwork
from .translation import Translation


@dataclass(frozen=True)
class TrainingConfig:
    iterations: int = 60
    learning_rate: float = 0.8
    """eta at the first iteration."""
    lr_decay: float = 0.95
    """eta is multiplied by this every iteration."""
    momentum: float = 0.5
    n_trials: int = 40
    """Independent trials per iteration (one chip call)."""
    duration_us: float = 1500.0
    """Hardware time per trial."""
    average_fraction: float = 0.3
    """The trained parameters are the mean over this last fraction of iterations (Polyak
    averaging: the sampling noise of single iterations averages out)."""


@dataclass
class TrainingHistory:
    dkl: list[float] = field(default_factory=list)
    """D_KL(target || sampled) at each iteration (nats), from that iteration's samples."""
    weights: list[np.ndarray] = field(default_factory=list)
    biases: list[np.ndarray] = field(default_factory=list)


def train(network: SamplingNetwork, translation: Translation, target: np.ndarray, weights: np.ndarray,
          biases: np.ndarray, config: TrainingConfig = TrainingConfig(),
          progress: bool = False) -> tuple[np.ndarray, np.ndarray, TrainingHistory]:
    """Train ``(weights, biases)`` (Boltzmann units, the start point) so that the network samples
    ``target`` (a distribution over the ``2**n`` states). Returns the trained parameters and the
    history."""
    n = network.n
    target = bm.check_distribution(target, 2 ** n)
    w, b = (x.copy() for x in bm.check_parameters(weights, biases))
    m_target, c_target = bm.moments(target, n)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    history = TrainingHistory()
    off_diagonal = ~np.eye(n, dtype=bool)
    for it in tqdm(range(config.iterations), desc="training", leave=False, disable=not progress):
        samples = network.sample(*translation.to_hardware(w, b), config.n_trials, config.duration_us)
        history.dkl.append(bm.dkl(target, bm.histogram(samples.states)))
        history.weights.append(w.copy())
        history.biases.append(b.copy())
        m_model, c_model = bm.sample_moments(samples.states)
        eta = config.learning_rate * config.lr_decay ** it
        vw = config.momentum * vw + eta * np.where(off_diagonal, c_target - c_model, 0.0)
        vb = config.momentum * vb + eta * (m_target - m_model)
        w, b = w + vw, b + vb
    keep = max(1, int(round(config.average_fraction * config.iterations)))
    if config.iterations:
        w, b = np.mean(history.weights[-keep:] + [w], axis=0), np.mean(history.biases[-keep:] + [b], axis=0)
    return w, b, history
