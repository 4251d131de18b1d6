"""Neural sampling: Boltzmann helpers, spike -> state read-out, activation fits, translation,
and (slow) activation calibration and in-the-loop training on the emulated chip."""
import numpy as np
import pytest

from bss2_experiments.sampling import boltzmann as bm
from bss2_experiments.sampling.activation import fit_activation, logistic
from bss2_experiments.sampling.network import NeuronProperties, poisson_trains, states_from_spikes
from bss2_experiments.sampling.translation import Translation, mean_psp


def test_states_and_indices_round_trip():
    z = bm.all_states(3)
    assert z.tolist()[:3] == [[0, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert np.array_equal(bm.state_index(z), np.arange(8))


def test_boltzmann_distribution_by_hand():
    # two units, W_01 = 1, b = (0, log 2): energies 0, log2, 0, 1 + log2 -> weights 1, 2, 1, 2e
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = bm.boltzmann_distribution(w, np.array([0.0, np.log(2)]))
    expected = np.array([1, 2, 1, 2 * np.e]) / (4 + 2 * np.e)
    assert np.allclose(p, expected)
    m, c = bm.moments(p, 2)
    assert m[1] == pytest.approx((2 + 2 * np.e) / (4 + 2 * np.e))
    assert c[0, 1] == pytest.approx(2 * np.e / (4 + 2 * np.e))


def test_dkl_by_hand():
    assert bm.dkl([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * np.log(2) + 0.5 * np.log(2 / 3))
    assert bm.dkl([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    assert bm.dkl([0.5, 0.5], [1.0, 0.0]) == float("inf")


def test_histogram_and_sample_moments():
    z = np.array([[1, 0], [1, 1], [1, 1], [0, 0]])
    assert np.allclose(bm.histogram(z), [0.25, 0, 0.25, 0.5])
    m, c = bm.sample_moments(z)
    assert np.allclose(m, [0.75, 0.5]) and c[0, 1] == pytest.approx(0.5)


def test_invalid_targets_raise_clear_errors():
    with pytest.raises(bm.DistributionError, match="sum to"):
        bm.check_distribution(np.full(4, 0.3), 4)
    with pytest.raises(bm.DistributionError, match="non-negative"):
        bm.check_distribution(np.array([1.5, -0.5]))
    with pytest.raises(bm.DistributionError, match="symmetric"):
        bm.check_parameters(np.array([[0, 1.0], [0.0, 0]]), np.zeros(2))
    with pytest.raises(bm.DistributionError, match="diagonal"):
        bm.check_parameters(np.eye(2), np.zeros(2))


def test_states_from_spikes():
    # neuron 0 spikes at 1 and 10 us, neuron 1 at 4 us; tau_ref 3 us
    spikes = [[np.array([1.0, 10.0]), np.array([4.0])]]
    grid = np.array([0.5, 1.0, 3.9, 4.0, 6.9, 7.0, 12.0])
    z = states_from_spikes(spikes, np.array([3.0, 3.0]), grid)
    assert z[:, 0].tolist() == [0, 1, 1, 0, 0, 0, 1]
    assert z[:, 1].tolist() == [0, 0, 0, 1, 1, 0, 0]


def test_poisson_trains_rate():
    t = poisson_trains(np.random.default_rng(0), 20, 3, 0.5, 1000.0)
    counts = np.isfinite(t).sum(axis=2)
    assert counts.mean() == pytest.approx(500, rel=0.02)
    assert np.nanmax(t) < 1000.0 and np.all(np.diff(t, axis=2)[np.isfinite(np.diff(t, axis=2))] > 0)


def test_logistic_fit_recovers_parameters():
    v = np.linspace(100, 150, 11)
    p = np.stack([logistic(v, 120.0, 3.0), logistic(v, 126.0, 5.0)], axis=1)
    fits = fit_activation(v, p)
    assert np.allclose(fits.v05, [120.0, 126.0], atol=1e-3) and np.allclose(fits.alpha, [3.0, 5.0], atol=1e-3)


def test_mean_psp_matches_numerical_integral():
    t = np.linspace(0, 8.0, 200001)
    j, tm, ts = 0.1, 1.0, 8.0
    u = j * tm * ts / (ts - tm) * (np.exp(-t / ts) - np.exp(-t / tm))
    assert mean_psp(j, tm, ts, 8.0) == pytest.approx(np.trapezoid(u, t) / 8.0, rel=1e-6)
    # tau_m = tau_syn: the limit J t exp(-t / tau)
    u_eq = j * t * np.exp(-t / 8.0)
    assert mean_psp(j, 8.0, 8.0, 8.0) == pytest.approx(np.trapezoid(u_eq, t) / 8.0, rel=1e-4)


def test_translation_round_trip_and_sign():
    n = 3
    props = NeuronProperties(*(np.full(n, v) for v in (1.0, 8.0, 8.0, 8.0, 0.1, 0.08)))
    fits = fit_activation(np.linspace(100, 150, 11), logistic(np.linspace(100, 150, 11), 125.0, 2.0)[:, None]
                          .repeat(n, axis=1))
    tr = Translation.build(fits, props)
    w, b = bm.random_boltzmann_machine(n, np.random.default_rng(1))
    w_hw, v = tr.to_hardware(w, b)
    assert np.allclose(v, 125.0 + 2.0 * b, atol=1e-3)
    assert np.array_equal(np.sign(w_hw), np.sign(w))
    w_back, b_back = tr.to_boltzmann(w_hw, v)
    assert np.allclose(w_back, w) and np.allclose(b_back, b)
    # weaker inhibitory synapses need larger hardware weights for the same |W|
    assert abs(tr.to_hardware(-np.ones((n, n)) + np.eye(n), np.zeros(n))[0][0, 1]) > \
        tr.to_hardware(np.ones((n, n)) - np.eye(n), np.zeros(n))[0][0, 1]


@pytest.mark.slow
def test_activation_and_training_on_the_emulated_chip():
    """Per-neuron activation functions differ (fixed-pattern noise) and in-the-loop training
    lowers D_KL by at least a factor 3 within 40 iterations."""
    from bss2_experiments.sampling.experiment import SamplingConfig, run
    from bss2_experiments.sampling.training import TrainingConfig
    config = SamplingConfig(reference=None, eval_trials=40, eval_duration_us=1500.0,
                            training=TrainingConfig(iterations=40, n_trials=30, duration_us=1000.0))
    result = run(config, progress=False)
    fits = result.fits
    assert np.all(fits.rms_error < 0.08)
    assert np.all((fits.alpha > 0.5) & (fits.alpha < 10))
    assert np.ptp(fits.v05) > 0.2  # samplers differ after calibration
    assert result.dkl_untrained > 0.05
    assert result.dkl_final < result.dkl_untrained / 3
    assert result.summary()["dkl_final"] == pytest.approx(result.dkl_final)


def test_cli_refuses_bad_unit_counts(capsys):
    import argparse

    from bss2_experiments.sampling import cli
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.main(parser.parse_args(["--units", "30"])) == 2
    assert "2..12" in capsys.readouterr().err
