"""Training a TTFS network with exact spike-time gradients (Goeltz et al., Nat. Mach.
Intell. 3:823 (2021)): Adam, a step learning-rate schedule, gradient chopping
(``max_dw_norm``) and weight bumping for silent neurons.

The forward pass is a callable ``forward(t_in) -> [times of each layer]``: the analytic
model (:meth:`Network.forward`, software) or a chip (:class:`.chip.ChipForward`, in the
loop). The backward pass always uses the exact model evaluated at the spike times the
forward pass produced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .loss import TTFSLoss, predict
from .network import Network

Forward = Callable[[np.ndarray], list[np.ndarray]]


@dataclass
class TrainConfig:
    epochs: int = 300
    batch_size: int = 150
    learning_rate: float = 0.005
    lr_gamma: float = 0.95
    lr_step_epochs: int = 20
    max_dw_norm: float | None = 0.2
    max_missing: tuple[float, ...] = (0.3, 0.0)
    """Largest tolerated fraction of silent (sample, neuron) pairs per layer in a batch."""
    bump_value: float = 0.0005
    """Weight bump (model units); doubles while the same layer needs bumping."""
    input_noise_std: float = 0.0
    """Gaussian jitter (tau_s) added to the training input times of every batch (Goeltz
    et al.'s MNIST setting: 0.3); negative times are mirrored, silent inputs stay silent."""
    keep_best: bool = True
    """With validation data: end with the weights of the epoch with the best validation
    accuracy (model selection on the validation set; the test set stays unseen)."""
    loss: TTFSLoss = field(default_factory=TTFSLoss)


@dataclass
class History:
    """Per-epoch curves (epoch 0 = before training for the validation entries)."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    bumps: list[int] = field(default_factory=list)
    """Batches per epoch spent on weight bumping instead of a gradient step."""
    best_epoch: int | None = None
    """Epoch whose weights the network ended with (``keep_best``; 0 = untrained)."""


class Adam:
    """Adam (Kingma & Ba 2015) over a list of arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + self.eps)


class WeightBumper:
    """Goeltz et al.'s remedy for silent neurons: if, in a batch, the fraction of silent
    (sample, neuron) pairs of the first offending layer exceeds its ``max_missing``,
    raise all input weights of that layer's neurons that were silent for some sample by
    the bump value (doubling while the same layer keeps needing it); that batch then
    makes no gradient step."""

    def __init__(self, max_missing: tuple[float, ...], value: float):
        self.max_missing, self.base = max_missing, value
        self.value, self.last = value, None

    def __call__(self, network: Network, times: list[np.ndarray]) -> bool:
        for l, t in enumerate(times):
            silent = ~np.isfinite(t)
            if silent.mean() > self.max_missing[min(l, len(self.max_missing) - 1)]:
                self.value = 2 * self.value if self.last == l else self.base
                self.last = l
                network.weights[l][:, silent.any(axis=0)] += self.value
                network.clip()
                return True
        self.last = None
        return False


def accuracy(t_out: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose first output spike is the label's."""
    return float(np.mean(predict(t_out) == labels)) if len(labels) else float("nan")


def train(network: Network, t_train: np.ndarray, y_train: np.ndarray, config: TrainConfig,
          rng: np.random.Generator, forward: Forward | None = None,
          validation: tuple[np.ndarray, np.ndarray] | None = None,
          progress=None) -> History:
    """Train ``network`` in place on encoded inputs ``t_train`` (tau_s) with labels.

    ``forward`` defaults to the analytic model; pass a chip forward for in-the-loop
    training. ``validation``: encoded inputs and labels evaluated after every epoch.
    ``progress``: a tqdm-like object updated once per batch.
    """
    forward = forward or network.forward
    optimiser = Adam(network.weights, config.learning_rate)
    bumper = WeightBumper(config.max_missing, config.bump_value)
    history = History()
    best = None
    if validation is not None:
        history.validation_accuracy.append(accuracy(forward(validation[0])[-1], validation[1]))
        best = (history.validation_accuracy[0], 0, [w.copy() for w in network.weights])
    for epoch in range(config.epochs):
        optimiser.lr = config.learning_rate * config.lr_gamma ** (epoch // config.lr_step_epochs)
        order = rng.permutation(len(y_train))
        losses, correct, bumps = [], 0, 0
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size]
            t_in, labels = t_train[idx], y_train[idx]
            if config.input_noise_std > 0:
                t_in = np.abs(t_in + rng.normal(0.0, config.input_noise_std, t_in.shape))
            times = forward(t_in)
            correct += int(np.sum(predict(times[-1]) == labels))
            if bumper(network, times):
                bumps += 1
            else:
                loss, grad = config.loss(times[-1], labels)
                losses.append(loss)
                optimiser.step(network.backward(t_in, times, grad, config.max_dw_norm))
                network.clip()
            if progress is not None:
                progress.update(1)
        history.train_loss.append(float(np.mean(losses)) if losses else float("nan"))
        history.train_accuracy.append(correct / len(y_train))
        history.bumps.append(bumps)
        if validation is not None:
            history.validation_accuracy.append(accuracy(forward(validation[0])[-1], validation[1]))
            if history.validation_accuracy[-1] > best[0]:
                best = (history.validation_accuracy[-1], epoch + 1, [w.copy() for w in network.weights])
            if progress is not None and hasattr(progress, "set_postfix"):
                progress.set_postfix(val_acc=f"{history.validation_accuracy[-1]:.3f}", refresh=False)
    if best is not None and config.keep_best:
        history.best_epoch = best[1]
        for w, kept in zip(network.weights, best[2]):
            w[...] = kept
    return history
