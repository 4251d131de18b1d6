"""Bell states: RBM training (software pre-training with exact moments), the optimizers, the
coupling-gain correction of the translation, the state window, CLI errors."""
import argparse

import numpy as np
import pytest

from bss2_experiments.bell.experiment import N_VISIBLE, BellConfig
from bss2_experiments.bell.rbm import exact_moments, initial_parameters, rbm_mask, train_rbm
from bss2_experiments.sampling import boltzmann as bm
from bss2_experiments.sampling import quantum
from bss2_experiments.sampling.activation import fit_activation, logistic
from bss2_experiments.sampling.network import NeuronProperties
from bss2_experiments.sampling.training import ParameterStep, TrainingConfig
from bss2_experiments.sampling.translation import Translation, mean_psp, pair_coupling


def test_rbm_structure_and_exact_moments():
    w, b = initial_parameters(7, N_VISIBLE, np.random.default_rng(0), 0.5)
    assert np.all(w[~rbm_mask(7, N_VISIBLE)] == 0) and np.allclose(w, w.T)
    m, c, p_v, conditional = exact_moments(N_VISIBLE)(w, b)
    assert conditional is None  # the Boltzmann conditional
    full = bm.boltzmann_distribution(w, b)
    assert np.allclose(p_v, full.reshape(16, 8).sum(axis=1))
    assert np.allclose(np.diag(c), m)  # <z_k z_k> = <z_k> for binary units
    # the sums over the 16 visible states equal the enumeration of all 2**7 states
    b = np.random.default_rng(2).normal(0.0, 1.0, 7)
    m, c, p_v, _ = exact_moments(N_VISIBLE)(w, b)
    m_full, c_full = bm.moments(bm.boltzmann_distribution(w, b), 7)
    assert np.allclose(m, m_full) and np.allclose(c, c_full)


def test_adam_and_momentum_steps():
    g = np.array([0.02, -3.0, 0.0])
    adam = ParameterStep(TrainingConfig(learning_rate=0.1, lr_decay=0.5, optimizer="adam"), g.shape)
    first = adam(g)[0]
    assert np.allclose(first, [0.1, -0.1, 0.0], atol=1e-5)  # the first Adam step is eta sign(g)
    assert np.allclose(adam(g)[0], [0.05, -0.05, 0.0], atol=1e-5)  # eta decays, the direction stays
    momentum = ParameterStep(TrainingConfig(learning_rate=0.1, lr_decay=1.0, momentum=0.5), g.shape)
    momentum(g)
    assert np.allclose(momentum(g)[0], 0.1 * g * 1.5)
    with pytest.raises(ValueError, match="optimizer"):
        ParameterStep(TrainingConfig(optimizer="sgd"), g.shape)


def test_pair_coupling_recovers_boltzmann_weights():
    rng = np.random.default_rng(0)
    pairs = np.array([[0, 1], [2, 3]])
    columns = []
    for weight in (1.3, -2.0):
        p = bm.boltzmann_distribution(np.array([[0.0, weight], [weight, 0.0]]), np.array([0.2, -0.4]))
        columns.append(bm.all_states(2)[rng.choice(4, 200_000, p=p)])
    estimate = pair_coupling(np.concatenate(columns, axis=1), pairs)
    assert estimate == pytest.approx([1.3, -2.0], abs=0.05)


def test_coupling_gain_and_state_window_in_the_translation():
    n = 3
    v = np.linspace(100, 150, 11)
    fits = fit_activation(v, logistic(v, 125.0, 2.0)[:, None].repeat(n, axis=1))
    values = [np.full(n, x) for x in (1.0, 8.0, 8.0, 8.0, 0.1, 0.08)]
    tr = Translation.build(fits, NeuronProperties(*values))
    longer = Translation.build(fits, NeuronProperties(*values, state_duration_us=np.full(n, 8.6)))
    assert longer.psp_exc[0, 1] == pytest.approx(mean_psp(0.1, 1.0, 8.0, 8.6))
    assert longer.psp_exc[0, 1] < tr.psp_exc[0, 1]  # a longer window averages more of the decay
    w, b = bm.random_boltzmann_machine(n, np.random.default_rng(1))
    corrected = tr.with_gain(2.0, 1.25)
    w_hw, w_hw_corrected = tr.to_hardware(w, b)[0], corrected.to_hardware(w, b)[0]
    assert np.allclose(w_hw_corrected, np.where(w > 0, w_hw / 2.0, w_hw / 1.25))
    assert corrected.weight_limit(126) == pytest.approx(1.25 * tr.weight_limit(126))
    with pytest.raises(ValueError, match="positive"):
        tr.with_gain(0.0, 1.0)


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
        BellConfig(n_hidden=61).validate()
    with pytest.raises(ValueError, match="optimizer"):
        BellConfig(training=TrainingConfig(optimizer="rmsprop")).validate()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--werner", "1.5"])) == 2


@pytest.mark.slow
def test_in_the_loop_training_on_the_emulated_chip():
    """The pretrained RBM (exact fidelity > 0.95) put on the chip samples far from its own
    Boltzmann distribution; in-the-loop iterations with chip moments bring the sampled
    distribution much closer to the target and keep the a = b outcomes rare."""
    from bss2_experiments.bell.experiment import run
    config = BellConfig(werner=(1.0,), eval_trials=30, eval_duration_us=1000.0,
                        training=TrainingConfig(iterations=40, learning_rate=0.05, lr_decay=0.96, n_trials=30,
                                                duration_us=800.0, average_fraction=0.3, optimizer="adam"))
    result = run(config, progress=False)
    assert result.fidelity_software[0] > 0.95
    assert result.tvd_translated[0] > 0.2
    tvd_final = 0.5 * np.abs(result.learned[0] - result.target[0]).sum()
    assert tvd_final < result.tvd_history[0][0] / 1.5
    assert np.trace(result.learned[0].reshape(4, 4)) < 0.06  # the singlet forbids a = b
    assert 0.5 < result.fidelity[0] <= 1.0 and 1.5 < result.chsh[0] <= 2 * np.sqrt(2) + 1e-9


@pytest.mark.slow
def test_sampling_across_runs_averages_the_per_run_parameter_noise():
    """Each chip run draws the CapMem error afresh and the strongly coupled Bell network
    amplifies it: whole batches in one run disagree far more than batches spread over one run
    per trial (``trials_per_run=1``)."""
    from bss2_experiments.bell.experiment import BELL_SETUP
    from bss2_experiments.sampling.experiment import SamplingConfig, build_network
    target = quantum.probabilities(quantum.bell_state("psi-"))
    target /= target.sum()
    n = N_VISIBLE + 10
    w, b = initial_parameters(n, N_VISIBLE, np.random.default_rng(0), 0.5)
    config = TrainingConfig(iterations=300, learning_rate=1.0, lr_decay=1.0, momentum=0.9, average_fraction=0.01)
    w, b, _ = train_rbm(exact_moments(N_VISIBLE), target, N_VISIBLE, w, b, config, weight_limit=6.0)
    net, _, translation = build_network(SamplingConfig(reference=None, setup=BELL_SETUP,
                                                       activation_levels=BellConfig().activation_levels),
                                        "emulator", False, n_units=n)
    hardware = translation.to_hardware(w, b)

    def spread(trials_per_run):
        batches = [bm.histogram(net.sample(*hardware, 60, 1000.0, trials_per_run).states[:, :N_VISIBLE])
                   for _ in range(3)]
        return max(0.5 * np.abs(p - q).sum() for p in batches for q in batches)

    one_run, many_runs = spread(None), spread(1)
    assert one_run > 0.15
    assert many_runs < one_run / 2
    with pytest.raises(ValueError, match="trials_per_run"):
        net.sample(*hardware, 4, 400.0, 0)
