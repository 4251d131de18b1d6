"""The transverse-field Ising chain ``H = -J sum_i sz_i sz_{i+1} - h sum_i sx_i`` (open chain).

It is stoquastic: its ground state has non-negative amplitudes in the ``sz`` basis, so
``psi(s) = sqrt(p(s))`` for a probability distribution ``p`` that a sampling network can
represent (Klassert et al., iScience 25, 104707 (2022)). Basis state index: spin ``i`` up
(``s_i = +1``) is bit ``z_i = 1``, spin 0 the most significant bit.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import eigsh

from bss2_experiments.sampling.boltzmann import all_states

MAX_SPINS = 12
CRITICAL_FIELD = 1.0
"""h / J at the quantum phase transition of the infinite chain."""


def check_spins(n_spins: int) -> None:
    if not 2 <= n_spins <= MAX_SPINS:
        raise ValueError(f"--spins {n_spins}: the chain needs 2..{MAX_SPINS} spins (2**N states are enumerated)")


def hamiltonian(n_spins: int, field: float, coupling: float = 1.0):
    """Sparse ``H`` (2**N x 2**N, real)."""
    check_spins(n_spins)
    z = all_states(n_spins).astype(np.int64)
    spins = 2 * z - 1
    diagonal = -coupling * np.sum(spins[:, :-1] * spins[:, 1:], axis=1).astype(float)
    index = np.arange(2 ** n_spins)
    rows = [index]
    cols = [index]
    vals = [diagonal]
    for i in range(n_spins):
        rows.append(index)
        cols.append(index ^ (1 << (n_spins - 1 - i)))
        vals.append(np.full(index.size, -field))
    return coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))).tocsr()


def ground_state(n_spins: int, field: float, coupling: float = 1.0) -> tuple[float, np.ndarray]:
    """Ground-state energy and amplitudes (made non-negative), by sparse diagonalisation."""
    h = hamiltonian(n_spins, field, coupling)
    if h.shape[0] <= 16:
        values, vectors = np.linalg.eigh(h.toarray())
    else:
        values, vectors = eigsh(h, k=1, which="SA")
    psi = vectors[:, np.argmin(values)]
    psi = np.abs(psi) / np.linalg.norm(psi)
    return float(np.min(values)), psi


def local_energies(p: np.ndarray, n_spins: int, field: float, coupling: float = 1.0) -> np.ndarray:
    """``E_loc(s) = sum_s' H_ss' psi(s') / psi(s)`` of every basis state for ``psi = sqrt(p)``
    (``nan`` where ``p(s) = 0``)."""
    psi = np.sqrt(np.asarray(p, float))
    z = all_states(n_spins).astype(np.int64)
    spins = 2 * z - 1
    index = np.arange(2 ** n_spins)
    flips = sum(psi[index ^ (1 << (n_spins - 1 - i))] for i in range(n_spins))
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(psi > 0, -field * flips / psi, np.nan)
    return -coupling * np.sum(spins[:, :-1] * spins[:, 1:], axis=1) + off


def energy(p: np.ndarray, n_spins: int, field: float, coupling: float = 1.0) -> float:
    """``<psi|H|psi>`` for ``psi = sqrt(p)`` (exact sum over states)."""
    psi = np.sqrt(np.asarray(p, float))
    return float(psi @ (hamiltonian(n_spins, field, coupling) @ psi))


def fidelity(p: np.ndarray, psi_exact: np.ndarray) -> float:
    """``|<psi_exact | sqrt(p)>|**2``."""
    return float((np.sqrt(np.asarray(p, float)) @ psi_exact) ** 2)
