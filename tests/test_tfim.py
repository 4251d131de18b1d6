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
    with pytest.raises(ValueError, match="hidden"):
        TFIMConfig(n_hidden=61).validate()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--spins", "40"])) == 2


def test_symmetrised_distribution_is_flip_invariant():
    from bss2_experiments.tfim.variational import symmetrised
    _, psi = ham.ground_state(4, 1.0)
    one_sector = psi ** 2 * (np.arange(16) >= 8)  # spin 0 up only
    one_sector /= one_sector.sum()
    p = symmetrised(one_sector)
    flipped = np.array([p[15 - s] for s in range(16)])
    assert np.allclose(p, flipped) and p.sum() == pytest.approx(1.0)
    assert ham.fidelity(p, psi) > ham.fidelity(one_sector, psi) + 0.3


def random_rbm(n=4, m=3, seed=1, scale=0.7):
    from bss2_experiments.tfim import rbm
    rng = np.random.default_rng(seed)
    return rbm.RBM(rng.normal(0, scale, n), rng.normal(0, scale, m), rng.normal(0, scale, (n, m)))


def test_rbm_marginal_is_the_sampling_networks_visible_distribution():
    from bss2_experiments.sampling import boltzmann as bm
    from bss2_experiments.tfim import rbm
    model = random_rbm()
    joint = bm.boltzmann_distribution(*rbm.to_network(model))  # all 2**7 states, visible bits first
    visible = joint.reshape(2 ** 4, 2 ** 3).sum(axis=1)
    assert np.allclose(rbm.marginal(model), visible)
    samples = rbm.sample(model, 40000, np.random.default_rng(0))
    assert np.abs(bm.histogram(samples) - visible).max() < 0.01


def test_log_derivatives_match_finite_differences():
    from bss2_experiments.sampling.boltzmann import all_states
    from bss2_experiments.tfim import rbm
    model = random_rbm()
    v = all_states(4)
    o = rbm.log_derivatives(model, v)
    theta = model.flat()
    for k in (0, 5, 9, 18):  # a visible bias, a hidden bias, two weights
        d = np.zeros_like(theta)
        d[k] = 1e-6
        numeric = (rbm.log_unnormalised(model.with_flat(theta + d), v)
                   - rbm.log_unnormalised(model.with_flat(theta - d), v)) / 2e-6
        assert np.allclose(o[:, k], numeric, atol=1e-6)


def symmetrised_energy(model, n=4, h=1.0):
    from bss2_experiments.tfim import rbm
    from bss2_experiments.tfim.variational import symmetrised
    return ham.energy(symmetrised(rbm.marginal(model)), n, h)


def test_sr_gradient_is_the_energy_gradient_of_the_symmetrised_state():
    from bss2_experiments.sampling.boltzmann import all_states
    from bss2_experiments.tfim import rbm
    from bss2_experiments.tfim.sr import SRConfig, sr_step
    from bss2_experiments.tfim.variational import symmetrised
    model = random_rbm()
    p = rbm.marginal(model)
    e_loc = ham.local_energies(symmetrised(p), 4, 1.0)
    step, gradient = sr_step(rbm.log_derivatives(model, all_states(4)), e_loc, SRConfig(learning_rate=0.01), weights=p)
    theta = model.flat()
    for k in (1, 4, 12):
        d = np.zeros_like(theta)
        d[k] = 1e-5
        numeric = (symmetrised_energy(model.with_flat(theta + d)) - symmetrised_energy(model.with_flat(theta - d))) / 2e-5
        assert gradient[k] == pytest.approx(numeric, rel=1e-4, abs=1e-8)
    assert gradient @ step < 0  # the natural gradient points downhill
    assert symmetrised_energy(model.with_flat(theta + step)) < symmetrised_energy(model) - 0.01


def test_sr_refuses_mismatched_shapes():
    from bss2_experiments.tfim.sr import sr_step
    with pytest.raises(ValueError, match="local energies"):
        sr_step(np.zeros((5, 3)), np.zeros(4))


def test_exact_sr_reaches_the_ground_state_within_the_weight_limit():
    from bss2_experiments.tfim import rbm
    from bss2_experiments.tfim.variational import (
        VariationalConfig,
        optimise_exact,
        symmetrised,
    )
    _, psi = ham.ground_state(4, 1.0)
    start = rbm.RBM.random(4, 8, np.random.default_rng(0), 0.1)
    model = optimise_exact(start, VariationalConfig(weight_limit=2.0), 4, 1.0, iterations=150)
    assert np.abs(model.w).max() <= 2.0
    assert ham.fidelity(symmetrised(rbm.marginal(model)), psi) > 0.999
    assert ham.fidelity(symmetrised(rbm.marginal(start)), psi) < 0.9


def test_sr_from_exact_samples_reaches_fidelity_099():
    from bss2_experiments.tfim import rbm
    from bss2_experiments.tfim.variational import VariationalConfig, symmetrised, train
    e0, psi = ham.ground_state(5, 1.0)
    rng = np.random.default_rng(3)
    start = rbm.RBM.random(5, 10, rng, 0.1)
    model, history = train(lambda r: rbm.sample(r, 5000, rng), start, VariationalConfig(iterations=40), 5, 1.0,
                           psi_exact=psi)
    assert len(history.energy) == 40 and history.fidelity[0] < 0.8
    assert ham.fidelity(symmetrised(rbm.marginal(model)), psi) > 0.99
    assert np.mean(history.energy[-10:]) < e0 + 0.05 * abs(e0)


@pytest.mark.slow
def test_sr_with_the_emulated_chip_in_the_loop():
    from bss2_experiments.tfim.experiment import TFIMConfig, run
    from bss2_experiments.tfim.variational import VariationalConfig
    config = TFIMConfig(n_spins=3, n_hidden=6, n_trials=15, duration_us=800.0, eval_trials=20,
                        eval_duration_us=1000.0, training=VariationalConfig(iterations=20), capacity_iterations=100)
    result = run(config, progress=False)
    energies = np.array(result.history.energy)
    assert energies[-5:].mean() < energies[0] - 0.1  # the variational energy falls
    assert result.exact_energy < result.energy  # and stays above the exact ground energy (variational bound)
    assert result.fidelity > 0.97 and result.energy_error < 0.02
    figures = result.reference_figures()
    assert figures["fidelity_capacity"] > 0.999 and figures["fidelity_exact_sampler"] > 0.99
    assert result.samples_per_iteration == 15 * 780


@pytest.mark.slow
def test_default_run_reaches_the_issue_target_at_six_spins():
    # N = 6 at the critical field, 12 hidden units, 50 SR steps of 40 x 1 ms (seed 0; seeds 1, 2: 0.989, 0.972)
    from bss2_experiments.tfim.experiment import TFIMConfig, run
    result = run(TFIMConfig(references=False), progress=False)
    assert result.fidelity >= 0.98 and 0 < result.energy_error < 0.01
    assert result.samples_per_iteration == 40 * 980 and not result.references


def test_scan_saves_fidelity_against_chain_length(tmp_path):
    import json

    from bss2_experiments.results import Provenance
    from bss2_experiments.tfim.experiment import TFIMConfig, TFIMResult
    from bss2_experiments.tfim.scan import save_scan
    from bss2_experiments.tfim.variational import History
    results = []
    for n in (2, 3, 4):
        e0, psi = ham.ground_state(n, 1.0)
        uniform = np.full(2 ** n, 2.0 ** -n)
        results.append(TFIMResult(TFIMConfig(n_spins=n), e0, psi, psi ** 2 if n != 3 else uniform, History(),
                                  np.zeros(1), references={"capacity": psi ** 2, "exact_sampler": uniform,
                                                           "translated": uniform}))
    folder, summary = save_scan(results, tmp_path, Provenance(backend="emulator", seed=0))
    assert summary["n_spins"] == [2, 3, 4] and summary["n_hidden"] == [4, 6, 8]
    assert summary["fidelity"][0] == pytest.approx(1.0) and summary["fidelity"][1] < 0.99
    assert summary["energy_error"][2] == pytest.approx(0.0, abs=1e-12)
    assert summary["fidelity_capacity"][1] == pytest.approx(1.0) and summary["fidelity_exact_sampler"][2] < 0.99
    assert json.loads((folder / "tfim_scan.json").read_text())["summary"]["n_spins"] == [2, 3, 4]
    assert (folder / "tfim_scan.png").exists() and (folder / "tfim_scan.npz").exists()


@pytest.mark.parametrize("argv,message", [(["--scan", "2", "40"], "2..12"), (["--hidden", "0"], "hidden"),
                                          (["--trials", "0"], "trials")])
def test_cli_refuses_bad_input(capsys, argv, message):
    from bss2_experiments.tfim import cli
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(argv)) == 2
    assert message in capsys.readouterr().err
