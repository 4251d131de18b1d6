"""The TTFS loss and the first-spike decision (Goeltz et al., Nat. Mach. Intell. 3:823 (2021)).

``L = -log softmax(-t / (xi tau_s))[label] + alpha exp(t_label / (beta tau_s))``:
cross-entropy on the negative output times (the earliest neuron should be the label)
plus a regulariser pulling the label spike early. A sample whose label neuron does not
spike costs ``missing_label_loss`` and gives no gradient. Times in tau_s.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TTFSLoss:
    xi: float = 0.2
    alpha: float = 0.005
    beta: float = 1.0
    missing_label_loss: float = 100.0

    def __call__(self, t_out: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the batch and ``dL/dt_out`` (batch, n_out) of that mean."""
        n = len(labels)
        rows = np.arange(n)
        t_label = t_out[rows, labels]
        spiked = np.isfinite(t_label)
        z = np.where(np.isfinite(t_out), -t_out / self.xi, -np.inf)
        z_max = np.max(np.where(spiked[:, None], z, 0.0), axis=1, keepdims=True)
        p = np.exp(z - z_max)
        norm = np.maximum(p.sum(axis=1, keepdims=True), np.finfo(float).tiny)  # all silent: no gradient anyway
        log_norm = np.log(norm[:, 0]) + z_max[:, 0]
        p /= norm
        t_safe = np.where(spiked, t_label, 0.0)
        regulariser = self.alpha * np.exp(t_safe / self.beta)
        per_sample = np.where(spiked, log_norm + t_safe / self.xi + regulariser, self.missing_label_loss)
        grad = -p / self.xi
        grad[rows, labels] += 1.0 / self.xi + self.alpha / self.beta * np.exp(t_safe / self.beta)
        grad = np.where(spiked[:, None] & np.isfinite(t_out), grad, 0.0) / n
        return float(per_sample.mean()), grad


def predict(t_out: np.ndarray) -> np.ndarray:
    """Index of the first output spike per sample; -1 where no output spikes (always wrong)."""
    first = np.argmin(t_out, axis=1)
    return np.where(np.isfinite(t_out[np.arange(len(t_out)), first]), first, -1)
