"""Boltzmann distributions over binary states, and the statistics neural sampling needs.

A Boltzmann machine over ``n`` binary units ``z`` has ``p(z) = exp(z^T W z / 2 + b^T z) / Z``
with a symmetric ``W`` (zero diagonal) and biases ``b`` (Petrovici et al., Phys. Rev. E 94,
042312 (2016), eq. 1). States are indexed by their bits, unit 0 the most significant:
state ``s`` has ``z_k = (s >> (n - 1 - k)) & 1``.
"""
from __future__ import annotations

import numpy as np

MAX_UNITS = 20
"""Largest machine whose 2**n states are enumerated exactly here."""


class DistributionError(ValueError):
    """A probability distribution or Boltzmann machine is malformed; the message says how to fix it."""


def all_states(n: int) -> np.ndarray:
    """Every binary state of ``n`` units, shape (2**n, n), uint8, in index order."""
    if not 1 <= n <= MAX_UNITS:
        raise DistributionError(f"n = {n} units: enumerating states needs 1 <= n <= {MAX_UNITS}")
    index = np.arange(2 ** n)
    return ((index[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1).astype(np.uint8)


def state_index(z: np.ndarray) -> np.ndarray:
    """Index of each state in ``z`` (shape (..., n), 0/1) as :func:`all_states` orders them."""
    z = np.asarray(z)
    n = z.shape[-1]
    return (z.astype(np.int64) << (n - 1 - np.arange(n))).sum(axis=-1)


def check_parameters(weights: np.ndarray, biases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` as float arrays after checking shape, symmetry, zero diagonal and finiteness."""
    w = np.asarray(weights, dtype=float)
    b = np.asarray(biases, dtype=float)
    n = b.size
    if b.ndim != 1 or w.shape != (n, n):
        raise DistributionError(f"weights need shape (n, n) and biases (n,), got {w.shape} and {b.shape}")
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
        raise DistributionError("weights and biases must be finite numbers")
    if not np.allclose(w, w.T):
        raise DistributionError("a Boltzmann machine needs symmetric weights (W == W.T)")
    if np.any(np.diag(w) != 0):
        raise DistributionError("a Boltzmann machine has no self-connections: set the diagonal of W to 0")
    return w, b


def energies(weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """``-log p(z) - log Z`` of every state: ``-(z^T W z / 2 + b^T z)``, shape (2**n,)."""
    w, b = check_parameters(weights, biases)
    z = all_states(b.size).astype(float)
    return -(0.5 * np.einsum("si,ij,sj->s", z, w, z) + z @ b)


def boltzmann_distribution(weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """``p(z)`` of every state, shape (2**n,), summing to 1."""
    e = -energies(weights, biases)
    p = np.exp(e - e.max())
    return p / p.sum()


def random_boltzmann_machine(n: int, rng: np.random.Generator, weight_scale: float = 0.6,
                             bias_scale: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """A random target: symmetric ``W`` and ``b`` drawn from N(0, scale**2) (zero diagonal)."""
    upper = np.triu(rng.normal(0.0, weight_scale, (n, n)), 1)
    return upper + upper.T, rng.normal(0.0, bias_scale, n)


def check_distribution(p: np.ndarray, n_states: int | None = None, tolerance: float = 1e-6) -> np.ndarray:
    """``p`` as a float array after checking it is a probability distribution (non-negative,
    finite, summing to 1 within ``tolerance``, ``n_states`` entries if given)."""
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or (n_states is not None and p.size != n_states):
        raise DistributionError(f"a distribution over {n_states or 'the'} states needs shape ({n_states or 'k'},), "
                                f"got {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise DistributionError("probabilities must be finite and non-negative")
    if abs(p.sum() - 1.0) > tolerance:
        raise DistributionError(f"probabilities sum to {p.sum():.6g}, not 1: normalise the target (p / p.sum())")
    return p


def dkl(p: np.ndarray, q: np.ndarray) -> float:
    """Kullback-Leibler divergence ``D_KL(p || q) = sum_s p(s) log(p(s) / q(s))`` in nats.

    States with ``p(s) = 0`` contribute nothing; a state with ``p(s) > 0`` and ``q(s) = 0``
    makes it infinite."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if p.shape != q.shape:
        raise DistributionError(f"D_KL needs two distributions of the same shape, got {p.shape} and {q.shape}")
    support = p > 0
    if np.any(q[support] <= 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def histogram(z: np.ndarray) -> np.ndarray:
    """Relative frequency of every state among samples ``z`` (shape (n_samples, n))."""
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[0] == 0:
        raise DistributionError(f"samples need shape (n_samples > 0, n_units), got {z.shape}")
    counts = np.bincount(state_index(z), minlength=2 ** z.shape[1])
    return counts / counts.sum()


def moments(p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and second moments ``(<z_k>, <z_j z_k>)`` of a distribution over ``n`` units."""
    z = all_states(n).astype(float)
    p = check_distribution(p, 2 ** n)
    return p @ z, np.einsum("s,si,sj->ij", p, z, z)


def sample_moments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(<z_k>, <z_j z_k>)`` estimated from samples ``z`` (shape (n_samples, n))."""
    z = np.asarray(z, dtype=float)
    return z.mean(axis=0), z.T @ z / z.shape[0]


def marginals(p: np.ndarray, n: int) -> np.ndarray:
    """``p(z_k = 1)`` of each unit."""
    return moments(p, n)[0]
