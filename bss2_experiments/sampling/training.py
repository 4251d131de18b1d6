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
    optimizer: str = "momentum"
    """``"momentum"``: ``v = momentum v + eta g``; ``"adam"``: Adam steps of size ~eta per
    parameter (Kingma & Ba, ICLR 2015; betas 0.9, 0.999), so weak and strong gradients
    move alike."""

    def validate(self) -> "TrainingConfig":
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r}: choose one of {OPTIMIZERS}")
        if self.iterations < 0 or not self.learning_rate > 0:
            raise ValueError(f"need iterations >= 0 and learning_rate > 0, got {self.iterations}, "
                             f"{self.learning_rate}")
        return self


OPTIMIZERS = ("momentum", "adam")


class ParameterStep:
    """Turns gradients (ascent directions) into parameter increments by ``config.optimizer``;
    the learning rate at iteration ``it`` is ``learning_rate * lr_decay**it``."""

    def __init__(self, config: TrainingConfig, *shapes: tuple[int, ...]):
        self.config = config.validate()
        self.first = [np.zeros(s) for s in shapes]
        self.second = [np.zeros(s) for s in shapes]
        self.count = 0

    def __call__(self, *gradients: np.ndarray) -> list[np.ndarray]:
        c = self.config
        eta = c.learning_rate * c.lr_decay ** self.count
        self.count += 1
        if c.optimizer == "momentum":
            self.first = [c.momentum * v + eta * g for v, g in zip(self.first, gradients)]
            return self.first
        beta1, beta2 = 0.9, 0.999
        self.first = [beta1 * m + (1 - beta1) * g for m, g in zip(self.first, gradients)]
        self.second = [beta2 * v + (1 - beta2) * g * g for v, g in zip(self.second, gradients)]
        scale = eta * np.sqrt(1 - beta2 ** self.count) / (1 - beta1 ** self.count)
        return [scale * m / (np.sqrt(v) + 1e-8) for m, v in zip(self.first, self.second)]


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
    step = ParameterStep(config, w.shape, b.shape)
    history = TrainingHistory()
    off_diagonal = ~np.eye(n, dtype=bool)
    for _ in tqdm(range(config.iterations), desc="training", leave=False, disable=not progress):
        samples = network.sample(*translation.to_hardware(w, b), config.n_trials, config.duration_us)
        history.dkl.append(bm.dkl(target, bm.histogram(samples.states)))
        history.weights.append(w.copy())
        history.biases.append(b.copy())
        m_model, c_model = bm.sample_moments(samples.states)
        dw, db = step(np.where(off_diagonal, c_target - c_model, 0.0), m_target - m_model)
        w, b = w + dw, b + db
    keep = max(1, int(round(config.average_fraction * config.iterations)))
    if config.iterations:
        w, b = np.mean(history.weights[-keep:] + [w], axis=0), np.mean(history.biases[-keep:] + [b], axis=0)
    return w, b, history
