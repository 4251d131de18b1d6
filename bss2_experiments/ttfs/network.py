"""A layered TTFS network: weights, bias spikes, analytic forward and exact backward.

Goeltz et al., Nat. Mach. Intell. 3:823 (2021): every layer sees the spike times of the
previous layer plus optional *bias spikes* at fixed times (software Yin-Yang: one bias
at 0.9 tau_s per layer; on BrainScaleS-2 five bias copies in the first layer only).
Times are in units of tau_s, weights in the units of :mod:`.model` (threshold 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import model


@dataclass
class Network:
    """``weights[l]`` has shape (n_in_l + len(bias_times[l]), n_out_l): inputs first,
    then one row per bias spike."""

    weights: list[np.ndarray]
    bias_times: list[tuple[float, ...]]
    tau_ratio: float = 1.0
    threshold: float = 1.0
    weight_limit: float | None = None
    """Largest |weight| (model units) the substrate can hold; ``None`` = unlimited."""
    sizes: tuple[int, ...] = field(init=False)

    def __post_init__(self):
        if len(self.weights) != len(self.bias_times):
            raise ValueError("one tuple of bias times per layer is needed")
        self.weights = [np.asarray(w, dtype=float) for w in self.weights]
        self.bias_times = [tuple(float(t) for t in b) for b in self.bias_times]
        n_in = self.weights[0].shape[0] - len(self.bias_times[0])
        self.sizes = (n_in,) + tuple(w.shape[1] for w in self.weights)
        for l, w in enumerate(self.weights):
            if w.shape[0] != self.sizes[l] + len(self.bias_times[l]):
                raise ValueError(f"layer {l}: weights have {w.shape[0]} rows, expected {self.sizes[l]} inputs + "
                                 f"{len(self.bias_times[l])} biases")
        self.clip()

    @classmethod
    def random(cls, sizes: tuple[int, ...], bias_times: list[tuple[float, ...]], means: tuple[float, ...],
               stds: tuple[float, ...], rng: np.random.Generator, **options) -> "Network":
        """Weights drawn from N(means[l], stds[l]) per layer."""
        weights = [rng.normal(means[l], stds[l], (sizes[l] + len(bias_times[l]), sizes[l + 1]))
                   for l in range(len(sizes) - 1)]
        return cls(weights, bias_times, **options)

    def clip(self) -> None:
        """Clip the weights in place to +-``weight_limit``."""
        if self.weight_limit is not None:
            for w in self.weights:
                np.clip(w, -self.weight_limit, self.weight_limit, out=w)

    def layer_input(self, l: int, t_prev: np.ndarray) -> np.ndarray:
        """Spike times seen by layer ``l``: ``t_prev`` (batch, n) followed by its bias spikes."""
        bias = np.broadcast_to(np.asarray(self.bias_times[l], dtype=float), (len(t_prev), len(self.bias_times[l])))
        return np.concatenate([t_prev, bias], axis=1)

    def forward(self, t_in: np.ndarray) -> list[np.ndarray]:
        """Analytic first-spike times of every layer, ``[(batch, n_1), ..., (batch, n_out)]``."""
        if t_in.ndim != 2 or t_in.shape[1] != self.sizes[0]:
            raise ValueError(f"the network takes {self.sizes[0]} input times per sample, got shape {t_in.shape}")
        times, t = [], t_in
        for l, w in enumerate(self.weights):
            t = model.first_spike_times(self.layer_input(l, t), w, self.tau_ratio, self.threshold)
            times.append(t)
        return times

    def backward(self, t_in: np.ndarray, times: list[np.ndarray], grad_out: np.ndarray,
                 max_dw_norm: float | None = None) -> list[np.ndarray]:
        """Weight gradients of every layer from ``dL/dt_out``; ``times`` are the spike
        times of each layer, analytic or measured on a chip."""
        grads = [np.zeros(0)] * len(self.weights)
        g = grad_out
        for l in range(len(self.weights) - 1, -1, -1):
            t_prev = t_in if l == 0 else times[l - 1]
            grads[l], g_in = model.backward(self.layer_input(l, t_prev), self.weights[l], times[l], g,
                                            self.tau_ratio, max_dw_norm)
            g = g_in[:, :t_prev.shape[1]]
        return grads
