"""Quantum states as probability distributions: the tetrahedral POVM, density matrices,
fidelity and the CHSH value (shared by the Bell-state and TFIM experiments).

A qubit measured with the tetrahedral (SIC) POVM ``M_a = (I + s_a . sigma) / 4``,
``a = 0..3`` with ``s_a`` the corners of a regular tetrahedron, gives outcome probabilities
``P(a) = Tr(rho M_a)`` that determine ``rho`` (informationally complete; Carrasquilla et al.,
Nat. Mach. Intell. 1, 155 (2019); used with spiking samplers by Czischek et al., SciPost
Phys. 12, 039 (2022)). For ``N`` qubits the POVM is the tensor product and
``rho = sum_a P(a) sum_a' (T^-1)_{a a'} M_a'`` with the overlap matrix
``T_{a a'} = Tr(M_a M_a')``.
"""
from __future__ import annotations

import functools

import numpy as np

PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)
"""sigma_x, sigma_y, sigma_z."""
TETRAHEDRON = np.array([[0.0, 0.0, 1.0], [2 * np.sqrt(2) / 3, 0.0, -1 / 3],
                        [-np.sqrt(2) / 3, np.sqrt(2 / 3), -1 / 3], [-np.sqrt(2) / 3, -np.sqrt(2 / 3), -1 / 3]])
"""Bloch vectors of the four POVM elements."""
MAX_QUBITS = 6


class QuantumStateError(ValueError):
    """A state, distribution or qubit count is not valid; the message says what to change."""


def tetrahedral_povm() -> np.ndarray:
    """The four single-qubit POVM elements, shape (4, 2, 2); they sum to the identity."""
    return np.array([(np.eye(2) + np.einsum("i,ijk->jk", s, PAULI)) / 4 for s in TETRAHEDRON])


def _check_qubits(n_qubits: int) -> None:
    if not 1 <= n_qubits <= MAX_QUBITS:
        raise QuantumStateError(f"n_qubits = {n_qubits}: the POVM tables are built for 1..{MAX_QUBITS} qubits")


@functools.lru_cache(maxsize=MAX_QUBITS)
def povm(n_qubits: int) -> np.ndarray:
    """Product POVM of ``n_qubits``: shape (4**n, 2**n, 2**n), outcome index ``a_0 a_1 ...`` in base 4
    (qubit 0 most significant)."""
    _check_qubits(n_qubits)
    out = tetrahedral_povm()
    for _ in range(n_qubits - 1):
        out = np.einsum("aij,bkl->abikjl", out, tetrahedral_povm()).reshape(
            out.shape[0] * 4, out.shape[1] * 2, out.shape[2] * 2)
    return out


@functools.lru_cache(maxsize=MAX_QUBITS)
def _dual(n_qubits: int) -> np.ndarray:
    """Dual frame ``sum_a' (T^-1)_{a a'} M_a'`` of each outcome, shape (4**n, 2**n, 2**n)."""
    single = tetrahedral_povm()
    overlap = np.einsum("aij,bji->ab", single, single).real
    dual = np.einsum("ab,bij->aij", np.linalg.inv(overlap), single)
    out = dual
    for _ in range(n_qubits - 1):
        out = np.einsum("aij,bkl->abikjl", out, dual).reshape(out.shape[0] * 4, out.shape[1] * 2, out.shape[2] * 2)
    return out


def check_density_matrix(rho: np.ndarray, tolerance: float = 1e-8) -> np.ndarray:
    rho = np.asarray(rho, dtype=complex)
    if rho.ndim != 2 or rho.shape[0] != rho.shape[1] or rho.shape[0] & (rho.shape[0] - 1):
        raise QuantumStateError(f"a density matrix of qubits is square with side 2**n, got shape {rho.shape}")
    if not np.allclose(rho, rho.conj().T, atol=tolerance) or abs(np.trace(rho) - 1) > tolerance:
        raise QuantumStateError("a density matrix must be Hermitian with trace 1")
    return rho


def probabilities(rho: np.ndarray) -> np.ndarray:
    """POVM outcome distribution ``P(a) = Tr(rho M_a)`` of a state, shape (4**n,)."""
    rho = check_density_matrix(rho)
    n = int(np.log2(rho.shape[0]))
    return np.clip(np.einsum("aij,ji->a", povm(n), rho).real, 0.0, None)


def _outcome_distribution(p: np.ndarray) -> tuple[np.ndarray, int]:
    """``p`` as a checked distribution over the POVM outcomes of ``n`` qubits, and ``n``."""
    p = np.asarray(p, dtype=float)
    n = int(round(np.log(p.size) / np.log(4)))
    if p.ndim != 1 or 4 ** n != p.size:
        raise QuantumStateError(f"POVM probabilities of n qubits have 4**n entries, got shape {p.shape}")
    if np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
        raise QuantumStateError(f"POVM probabilities must be non-negative and sum to 1 (sum {p.sum():.6g})")
    _check_qubits(n)
    return p, n


def reconstruct(p: np.ndarray) -> np.ndarray:
    """Density matrix from POVM outcome probabilities (linear inversion; the result is
    Hermitian with trace 1, and positive if ``p`` is exact)."""
    p, n = _outcome_distribution(p)
    return np.einsum("a,aij->ij", p, _dual(n))


def reconstruct_ml(p: np.ndarray, tolerance: float = 1e-12, max_iterations: int = 20000) -> np.ndarray:
    """Maximum-likelihood density matrix for POVM outcome frequencies ``p``: the physical state
    (positive, trace 1) under which the observed outcomes are most likely, ``argmax sum_a p_a
    log Tr(rho M_a)`` (Hradil, Phys. Rev. A 55, R1561 (1997)), by the diluted iteration
    ``rho <- (I + R) rho (I + R) / norm``, ``R = sum_a p_a / Tr(rho M_a) M_a`` (Rehacek et al.,
    Phys. Rev. A 75, 042108 (2007)), from the maximally mixed state until the log-likelihood
    changes by less than ``tolerance``. Where linear inversion (:func:`reconstruct`) is positive
    the two agree; sampled frequencies usually are not quite physical, and linear inversion then
    has negative eigenvalues that this estimator does not."""
    p, n = _outcome_distribution(p)
    elements = povm(n)
    identity = np.eye(2 ** n)
    rho = identity.astype(complex) / 2 ** n
    seen = p > 0
    previous = -np.inf
    for _ in range(max_iterations):
        probs = np.einsum("aij,ji->a", elements, rho).real
        likelihood = float(p[seen] @ np.log(probs[seen]))
        if likelihood - previous < tolerance:
            return rho
        previous = likelihood
        step = identity + np.einsum("a,aij->ij", np.where(seen, p / np.maximum(probs, 1e-300), 0.0), elements)
        rho = step @ rho @ step.conj().T
        rho = (rho + rho.conj().T) / (2 * np.trace(rho).real)
    raise RuntimeError(f"maximum-likelihood reconstruction did not converge in {max_iterations} iterations")


def fidelity(rho: np.ndarray, sigma: np.ndarray) -> float:
    """Uhlmann fidelity ``(Tr sqrt(sqrt(rho) sigma sqrt(rho)))**2`` (1 for equal states). A
    reconstructed ``rho`` that is slightly non-positive is projected onto the positive matrices first."""
    a, b = (_positive(check_density_matrix(x, 1e-6)) for x in (rho, sigma))
    root = _sqrt_psd(a)
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ b @ root), 0.0, None))) ** 2)


def _sqrt_psd(rho: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(rho)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.conj().T


def _positive(rho: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((rho + rho.conj().T) / 2)
    values = np.clip(values, 0.0, None)
    out = (vectors * values) @ vectors.conj().T
    return out / np.trace(out).real


def bell_state(name: str = "psi-") -> np.ndarray:
    """Density matrix of a Bell state: ``phi+``, ``phi-``, ``psi+`` or ``psi-`` (the singlet)."""
    vectors = {"phi+": [1, 0, 0, 1], "phi-": [1, 0, 0, -1], "psi+": [0, 1, 1, 0], "psi-": [0, 1, -1, 0]}
    if name not in vectors:
        raise QuantumStateError(f"unknown Bell state {name!r}; choose one of {sorted(vectors)}")
    psi = np.array(vectors[name], dtype=complex) / np.sqrt(2)
    return np.outer(psi, psi.conj())


def werner_state(p: float, name: str = "psi-") -> np.ndarray:
    """``p |Bell><Bell| + (1 - p) I / 4`` for ``0 <= p <= 1``."""
    if not 0.0 <= p <= 1.0:
        raise QuantumStateError(f"Werner mixing p = {p} must lie in 0..1")
    return p * bell_state(name) + (1 - p) * np.eye(4) / 4


def chsh(rho: np.ndarray) -> float:
    """Largest CHSH value over all measurement settings of a two-qubit state (Horodecki et al.,
    Phys. Lett. A 200, 340 (1995)): ``2 sqrt(m1 + m2)`` with ``m1, m2`` the two largest
    eigenvalues of ``T^T T``, ``T_ij = Tr(rho sigma_i sigma_j)``. Classical bound 2, Tsirelson 2 sqrt 2.
    A reconstructed ``rho`` with negative eigenvalues is first projected onto the physical states
    (negative eigenvalues set to 0, renormalised), so the value never exceeds Tsirelson's bound."""
    rho = _positive(check_density_matrix(rho, 1e-6))
    if rho.shape != (4, 4):
        raise QuantumStateError(f"CHSH needs a two-qubit state (4 x 4), got {rho.shape}")
    t = np.array([[np.trace(rho @ np.kron(a, b)).real for b in PAULI] for a in PAULI])
    m = np.sort(np.linalg.eigvalsh(t.T @ t))[::-1]
    return float(2 * np.sqrt(m[0] + m[1]))
