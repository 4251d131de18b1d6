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


@pytest.mark.parametrize("rho", [q.bell_state("psi-"), q.werner_state(0.3), np.diag([0.5, 0.5]).astype(complex)])
def test_maximum_likelihood_recovers_physical_states(rho):
    assert np.allclose(q.reconstruct_ml(q.probabilities(rho)), rho, atol=1e-4)


def test_maximum_likelihood_of_unphysical_frequencies():
    """Singlet frequencies with white noise q are the Werner state p = 1 - q (fidelity 1 - 3 q / 4
    by hand); frequencies with one a = b outcome raised and one allowed outcome lowered have no
    positive linear inversion, and the maximum-likelihood state is positive, fits them better
    than the clipped inversion does, and loses fidelity in proportion to the a = b mass."""
    singlet = q.probabilities(q.bell_state("psi-"))
    noisy = 0.92 * singlet + 0.08 / 16
    assert np.allclose(q.reconstruct_ml(noisy), q.werner_state(0.92), atol=1e-4)
    assert q.fidelity(q.reconstruct_ml(noisy), q.bell_state("psi-")) == pytest.approx(1 - 0.75 * 0.08, abs=1e-4)
    skewed = singlet.copy()
    skewed[0] += 0.01
    skewed[1] -= 0.01
    assert np.linalg.eigvalsh(q.reconstruct(skewed)).min() < -0.01
    ml = q.reconstruct_ml(skewed)
    assert np.linalg.eigvalsh(ml).min() > -1e-9 and np.trace(ml).real == pytest.approx(1.0)

    def log_likelihood(rho):
        return float(skewed[skewed > 0] @ np.log(q.probabilities(rho)[skewed > 0]))
    clipped = q._positive(q.reconstruct(skewed))
    assert log_likelihood(ml) > log_likelihood(clipped)
    assert 1 - 3 * 0.01 - 0.01 < q.fidelity(ml, q.bell_state("psi-")) < 1 - 3 * 0.01 + 0.005


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
