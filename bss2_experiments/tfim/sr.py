"""Stochastic reconfiguration (natural-gradient descent of the variational energy).

For ``psi_theta(s) = sqrt(p_theta(s))`` the log-derivatives of the amplitude are
``O_k = (1/2) d log p / d theta_k``. From samples ``s ~ p`` with local energies ``E_loc(s)``:

- force ``F_k = <(E_loc - <E_loc>) (O_k - <O_k>)>``, half the energy gradient ``d<H>/d theta_k``;
- metric ``S_kl = <(O_k - <O_k>)(O_l - <O_l>)>`` (the quantum geometric tensor of a real,
  non-negative state: a quarter of the Fisher information of ``p``);
- step ``delta theta = -eta (S + lambda diag(S) + epsilon I)^-1 F``.

This is imaginary-time evolution projected on the ansatz (Sorella, PRL 80, 4558 (1998);
Carleo & Troyer, Science 355, 602 (2017)) and the update Klassert et al., iScience 25,
104707 (2022) used with samples from BrainScaleS-2. The diagonal shift ``lambda``
regularises ``S``, whose sample estimate is rank-deficient and noisy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SRConfig:
    learning_rate: float = 0.1
    """eta: imaginary-time step (1 / J)."""
    diagonal_shift: float = 0.1
    """lambda: relative shift of the diagonal of S."""
    epsilon: float = 1e-4
    """Absolute shift of the diagonal (keeps S invertible for parameters that never vary)."""


def sr_step(log_derivatives: np.ndarray, local_energies: np.ndarray, config: SRConfig = SRConfig(),
            weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(delta theta, energy gradient)`` from samples.

    ``log_derivatives``: ``d log p / d theta`` per sample, (k, n_parameters);
    ``local_energies``: ``E_loc`` per sample (k,) (J); ``weights``: optional probability of each
    row (k,), summing to 1 (exact expectations over all states instead of samples)."""
    o = 0.5 * np.asarray(log_derivatives, float)
    e = np.asarray(local_energies, float)
    if o.ndim != 2 or e.shape != (o.shape[0],):
        raise ValueError(f"need log-derivatives (k, n_parameters) and local energies (k,), got {o.shape}, {e.shape}")
    p = np.full(e.size, 1.0 / e.size) if weights is None else np.asarray(weights, float)
    centred = o - p @ o
    de = e - p @ e
    force = centred.T @ (p * de)
    s = centred.T @ (p[:, None] * centred)
    s[np.diag_indices_from(s)] += config.diagonal_shift * np.diag(s) + config.epsilon
    step = -config.learning_rate * np.linalg.solve(s, force)
    return step, 2.0 * force
