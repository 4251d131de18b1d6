"""Bell states: RBM training (software pre-training with exact moments), encoding, CLI errors."""
import argparse

import numpy as np
import pytest

from bss2_experiments.bell.experiment import N_VISIBLE, BellConfig
from bss2_experiments.bell.rbm import exact_moments, initial_parameters, rbm_mask, train_rbm
from bss2_experiments.sampling import boltzmann as bm
from bss2_experiments.sampling import quantum
from bss2_experiments.sampling.training import TrainingConfig


def test_rbm_structure_and_exact_moments():
    w, b = initial_parameters(7, N_VISIBLE, np.random.default_rng(0), 0.5)
    assert np.all(w[~rbm_mask(7, N_VISIBLE)] == 0) and np.allclose(w, w.T)
    m, c, p_v, conditional = exact_moments(N_VISIBLE)(w, b)
    assert conditional is None  # the Boltzmann conditional
    full = bm.boltzmann_distribution(w, b)
    assert np.allclose(p_v, full.reshape(16, 8).sum(axis=1))
    assert np.allclose(np.diag(c), m)  # <z_k z_k> = <z_k> for binary units


def test_pretraining_learns_the_singlet():
    target = quantum.probabilities(quantum.bell_state("psi-"))
    target /= target.sum()
    w, b = initial_parameters(N_VISIBLE + 4, N_VISIBLE, np.random.default_rng(0), 0.5)
    config = TrainingConfig(iterations=300, learning_rate=1.0, lr_decay=1.0, momentum=0.9, average_fraction=0.01)
    w2, b2, history = train_rbm(exact_moments(N_VISIBLE), target, N_VISIBLE, w, b, config, weight_limit=5.0)
    assert np.abs(w2).max() <= 5.0 + 1e-12
    assert history.dkl[-1] < history.dkl[0] / 5
    rho = quantum.reconstruct(exact_moments(N_VISIBLE)(w2, b2)[2])
    assert quantum.fidelity(rho, quantum.bell_state("psi-")) > 0.85
    assert quantum.chsh(rho) > 2.3


def test_bad_configs_fail_clearly():
    from bss2_experiments.bell import cli
    with pytest.raises(ValueError, match="Werner|0..1"):
        BellConfig(werner=(1.2,)).validate()
    with pytest.raises(ValueError, match="n_hidden"):
        BellConfig(n_hidden=40).validate()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--werner", "1.5"])) == 2


@pytest.mark.slow
def test_in_the_loop_training_on_the_emulated_chip_lowers_dkl():
    """The software-pretrained RBM put on the chip samples badly (translation of strong
    couplings); in-the-loop iterations with chip moments halve its distance to the target."""
    from bss2_experiments.bell.experiment import run
    config = BellConfig(n_hidden=4, werner=(1.0,), eval_trials=20, eval_duration_us=1000.0, weight_max=252,
                        pretraining=TrainingConfig(iterations=300, learning_rate=1.0, lr_decay=1.0, momentum=0.9,
                                                   average_fraction=0.01),
                        training=TrainingConfig(iterations=12, learning_rate=0.5, n_trials=20, duration_us=800.0))
    result = run(config, progress=False)
    first = result.tvd_history[0][0]
    assert first > 0.2
    assert 0.5 * np.abs(result.learned[0] - result.target[0]).sum() < first / 2
    assert 0.25 < result.fidelity[0] <= 1.0 and 0.0 <= result.chsh[0] <= 2 * np.sqrt(2) + 1e-9
