"""Transverse-field Ising chain: Hamiltonian, exact ground state, local energies, CLI errors."""
import argparse
import functools

import numpy as np
import pytest

from bss2_experiments.tfim import hamiltonian as ham

SX = np.array([[0, 1], [1, 0]])
SZ = np.diag([-1, 1])  # basis bit 0 = spin down, bit 1 = spin up (as the sampler's z)


def kron_hamiltonian(n, h, j=1.0):
    def op(single, i):
        return functools.reduce(np.kron, [single if k == i else np.eye(2) for k in range(n)])
    return -j * sum(op(SZ, i) @ op(SZ, i + 1) for i in range(n - 1)) - h * sum(op(SX, i) for i in range(n))


@pytest.mark.parametrize("n,h", [(2, 1.0), (3, 0.5), (4, 2.0)])
def test_hamiltonian_matches_kronecker_construction(n, h):
    assert np.allclose(ham.hamiltonian(n, h).toarray(), kron_hamiltonian(n, h))


def test_two_spin_ground_energy_by_hand():
    # H = -J sz sz - h (sx1 + sx2): E0 = -sqrt(J^2 + 4 h^2)
    e0, psi = ham.ground_state(2, 1.0)
    assert e0 == pytest.approx(-np.sqrt(5.0))
    assert np.all(psi >= 0) and np.linalg.norm(psi) == pytest.approx(1.0)


def test_local_energy_of_the_ground_state_is_constant():
    e0, psi = ham.ground_state(6, ham.CRITICAL_FIELD)
    e_loc = ham.local_energies(psi ** 2, 6, ham.CRITICAL_FIELD)
    assert np.allclose(e_loc, e0)
    assert ham.energy(psi ** 2, 6, 1.0) == pytest.approx(e0)
    assert ham.fidelity(psi ** 2, psi) == pytest.approx(1.0)
    uniform = np.full(64, 1 / 64)
    assert ham.fidelity(uniform, psi) < 0.95 and ham.energy(uniform, 6, 1.0) > e0


def test_large_chain_uses_sparse_solver():
    e0, _ = ham.ground_state(10, 1.0)
    # open critical chain: E0 / N approaches -4 / pi from above
    assert -4 / np.pi * 10 < e0 < -4 / np.pi * 10 + 1.0


def test_bad_spin_counts_and_fields_fail_clearly():
    from bss2_experiments.tfim import cli
    from bss2_experiments.tfim.experiment import TFIMConfig
    with pytest.raises(ValueError, match="2..12"):
        TFIMConfig(n_spins=1).validate()
    with pytest.raises(ValueError, match="field"):
        TFIMConfig(field=-1.0).validate()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--spins", "40"])) == 2


def test_symmetrised_distribution_is_flip_invariant():
    from bss2_experiments.tfim.experiment import symmetrised
    e0, psi = ham.ground_state(4, 1.0)
    one_sector = psi ** 2 * (np.arange(16) >= 8)  # spin 0 up only
    one_sector /= one_sector.sum()
    p = symmetrised(one_sector)
    flipped = np.array([p[15 - s] for s in range(16)])
    assert np.allclose(p, flipped) and p.sum() == pytest.approx(1.0)
    assert ham.fidelity(p, psi) > ham.fidelity(one_sector, psi) + 0.3


@pytest.mark.slow
def test_variational_training_on_the_emulated_chip_lowers_the_energy():
    from bss2_experiments.sampling.training import TrainingConfig
    from bss2_experiments.tfim.experiment import TFIMConfig, run
    config = TFIMConfig(n_spins=3, n_hidden=4, eval_trials=20, eval_duration_us=1000.0,
                        training=TrainingConfig(iterations=15, learning_rate=0.5, lr_decay=0.98, n_trials=20,
                                                duration_us=800.0))
    result = run(config, progress=False)
    energies = result.energy_history
    assert energies[-5:].mean() < energies[0] - 0.1  # the variational energy falls
    assert result.exact_energy < result.energy  # and stays above the exact ground energy (variational bound)
    assert result.energy_error < 0.1
    assert result.fidelity > 0.8


def test_scan_saves_fidelity_against_chain_length(tmp_path):
    import json

    from bss2_experiments.results import Provenance
    from bss2_experiments.tfim.experiment import TFIMConfig, TFIMResult
    from bss2_experiments.tfim.scan import save_scan
    results = []
    for n in (2, 3, 4):
        e0, psi = ham.ground_state(n, 1.0)
        uniform = np.full(2 ** n, 2.0 ** -n)
        results.append(TFIMResult(TFIMConfig(n_spins=n), e0, psi, psi ** 2 if n != 3 else uniform,
                                  np.zeros(1), np.zeros(1)))
    folder, summary = save_scan(results, tmp_path, Provenance(backend="emulator", seed=0))
    assert summary["n_spins"] == [2, 3, 4]
    assert summary["fidelity"][0] == pytest.approx(1.0) and summary["fidelity"][1] < 0.99
    assert summary["energy_error"][2] == pytest.approx(0.0, abs=1e-12)
    assert json.loads((folder / "tfim_scan.json").read_text())["summary"]["n_spins"] == [2, 3, 4]
    assert (folder / "tfim_scan.png").exists() and (folder / "tfim_scan.npz").exists()


def test_cli_refuses_a_bad_scan(capsys):
    from bss2_experiments.tfim import cli
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--scan", "2", "40"])) == 2
    assert "2..12" in capsys.readouterr().err
