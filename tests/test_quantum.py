"""Shared quantum helpers: tetrahedral POVM, reconstruction, fidelity, CHSH."""
import numpy as np
import pytest

from bss2_experiments.sampling import quantum as q


def test_povm_is_complete_and_tetrahedral():
    m = q.tetrahedral_povm()
    assert np.allclose(m.sum(axis=0), np.eye(2))
    overlaps = np.einsum("aij,bji->ab", m, m).real
    # Tr(M_a M_b) = (1 + s_a.s_b) / 8: 1/4 on the diagonal, 1/12 off it
    assert np.allclose(np.diag(overlaps), 0.25)
    assert np.allclose(overlaps[~np.eye(4, dtype=bool)], 1 / 12)


def test_singlet_probabilities_by_hand():
    p = q.probabilities(q.bell_state("psi-")).reshape(4, 4)
    # P(a, b) = (1 - s_a . s_b) / 16: 0 for a = b, (1 + 1/3) / 16 = 1/12 otherwise
    assert np.allclose(np.diag(p), 0.0)
    assert np.allclose(p[~np.eye(4, dtype=bool)], 1 / 12)


@pytest.mark.parametrize("rho", [q.bell_state("phi+"), q.werner_state(0.3), np.diag([0.5, 0.5]).astype(complex)])
def test_reconstruction_inverts_probabilities(rho):
    assert np.allclose(q.reconstruct(q.probabilities(rho)), rho)


def test_fidelity_by_hand():
    assert q.fidelity(q.bell_state("psi-"), q.bell_state("psi-")) == pytest.approx(1.0, abs=1e-8)
    assert q.fidelity(q.bell_state("psi-"), q.bell_state("phi+")) == pytest.approx(0.0, abs=1e-8)
    # <psi-| Werner(p) |psi-> = p + (1 - p) / 4
    assert q.fidelity(q.bell_state("psi-"), q.werner_state(0.6)) == pytest.approx(0.6 + 0.4 / 4, abs=1e-6)


def test_chsh_of_bell_product_and_werner_states():
    assert q.chsh(q.bell_state("phi+")) == pytest.approx(2 * np.sqrt(2))
    assert q.chsh(np.kron(np.diag([1, 0]), np.diag([0, 1])).astype(complex)) == pytest.approx(2.0)
    assert q.chsh(q.werner_state(0.5)) == pytest.approx(np.sqrt(2))


def test_invalid_inputs_raise_clear_errors():
    with pytest.raises(q.QuantumStateError, match="sum to 1"):
        q.reconstruct(np.full(16, 0.1))
    with pytest.raises(q.QuantumStateError, match="4\\*\\*n"):
        q.reconstruct(np.full(5, 0.2))
    with pytest.raises(q.QuantumStateError, match="Werner"):
        q.werner_state(1.5)
    with pytest.raises(q.QuantumStateError, match="1..6"):
        q.povm(7)
