"""The ansatz of the TFIM experiment as a restricted Boltzmann machine, in software.

The sampling network has ``N`` visible units (the spins) and ``M`` hidden units, with
weights only between the layers: ``p(v, h) ~ exp(a.v + c.h + v.W.h)``. Its visible marginal
is known in closed form, ``log p~(v) = a.v + sum_j softplus(c_j + (v W)_j)``, so everything
the variational training needs can be written down exactly (Carleo & Troyer, Science 355,
602 (2017); with ``psi = sqrt(p)`` for stoquastic Hamiltonians: Klassert et al., iScience
25, 104707 (2022)):

- :func:`marginal`: ``p(v)`` of all ``2**N`` visible states (the ansatz' capacity, exactly);
- :func:`log_derivatives`: ``O_k(v) = d log p(v) / d theta_k`` of sampled visible states
  (``theta = (a, c, W)`` flattened), which stochastic reconfiguration needs;
- :func:`sample`: exact software samples of ``p(v)``, the reference for the chip's samples;
- :func:`to_network`: the ``(n, n)`` symmetric weight matrix and biases of the sampling
  network (visible units first), which the chip translation takes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from bss2_experiments.sampling.boltzmann import all_states


@dataclass
class RBM:
    """Visible biases ``a`` (N,), hidden biases ``c`` (M,), weights ``w`` (N, M) (Boltzmann units)."""

    a: np.ndarray
    c: np.ndarray
    w: np.ndarray

    @property
    def n_visible(self) -> int:
        return self.a.size

    @property
    def n_hidden(self) -> int:
        return self.c.size

    @property
    def n_parameters(self) -> int:
        return self.a.size + self.c.size + self.w.size

    @classmethod
    def random(cls, n_visible: int, n_hidden: int, rng: np.random.Generator, scale: float = 0.1) -> RBM:
        """Zero biases, weights ~ N(0, scale**2)."""
        return cls(np.zeros(n_visible), np.zeros(n_hidden), rng.normal(0.0, scale, (n_visible, n_hidden)))

    def flat(self) -> np.ndarray:
        """``theta = (a, c, W.ravel())``."""
        return np.concatenate([self.a, self.c, self.w.ravel()])

    def with_flat(self, theta: np.ndarray) -> RBM:
        n, m = self.n_visible, self.n_hidden
        return RBM(theta[:n].copy(), theta[n:n + m].copy(), theta[n + m:].reshape(n, m).copy())


def log_unnormalised(rbm: RBM, v: np.ndarray) -> np.ndarray:
    """``log p~(v) = a.v + sum_j log(1 + exp(c_j + (v W)_j))`` of visible states ``v`` (k, N)."""
    v = np.asarray(v, float)
    return v @ rbm.a + np.logaddexp(0.0, rbm.c + v @ rbm.w).sum(axis=1)


def marginal(rbm: RBM) -> np.ndarray:
    """``p(v)`` of every visible state (``all_states`` order, spin 0 the most significant bit)."""
    log_p = log_unnormalised(rbm, all_states(rbm.n_visible))
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def log_derivatives(rbm: RBM, v: np.ndarray) -> np.ndarray:
    """``O(v) = d log p~(v) / d theta`` of visible states ``v`` (k, N): shape (k, n_parameters),
    ``(v, sigma(c + v W), v_i sigma_j)`` with the hidden units summed out analytically."""
    v = np.asarray(v, float)
    hidden = expit(rbm.c + v @ rbm.w)
    return np.concatenate([v, hidden, (v[:, :, None] * hidden[:, None, :]).reshape(v.shape[0], -1)], axis=1)


def sample(rbm: RBM, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Independent exact samples of the visible units, (n_samples, N) uint8."""
    p = marginal(rbm)
    index = rng.choice(p.size, size=n_samples, p=p)
    return all_states(rbm.n_visible)[index]


def to_network(rbm: RBM) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric weights ``(N + M, N + M)`` (zero within layers) and biases ``(a, c)`` of the
    sampling network: the same Boltzmann distribution ``exp(z.W.z / 2 + b.z)``."""
    n, m = rbm.n_visible, rbm.n_hidden
    weights = np.zeros((n + m, n + m))
    weights[:n, n:] = rbm.w
    weights[n:, :n] = rbm.w.T
    return weights, np.concatenate([rbm.a, rbm.c])
