"""TTFS training in software: a short run learns Yin-Yang; Adam and weight bumping."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.ttfs.encoding import Encoding
from bss2_experiments.ttfs.experiment import TTFSConfig, run
from bss2_experiments.ttfs.network import Network
from bss2_experiments.ttfs.training import Adam, WeightBumper


def test_short_software_run_beats_80_percent_on_yin_yang():
    result = run(TTFSConfig.software_default(epochs=3, plane_resolution=10), progress=False)
    assert result.test_accuracy > 0.80
    assert result.history.validation_accuracy[-1] > result.history.validation_accuracy[0] + 0.3
    assert result.test_times.shape == (1000, 3)
    assert result.plane.shape == (10, 10) and set(np.unique(result.plane)) <= {-1, 0, 1, 2}
    summary = result.summary()
    assert summary["backend"] == "software" and summary["chip_id"] is None


def test_encoding_maps_features_to_times_in_tau_s():
    t = Encoding(0.15, 2.0, repeat=2)(np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(t, [[0.15, 0.15, 2.0, 2.0]])
    silent = Encoding(late_is_silent=True)(np.array([[0.5, 1.0]]))
    assert silent[0, 0] == pytest.approx(1.075) and np.isinf(silent[0, 1])


def test_adam_minimises_a_quadratic():
    x = np.array([3.0, -2.0])
    opt = Adam([x], lr=0.1)
    for _ in range(300):
        opt.step([2 * x])
    assert np.abs(x).max() < 0.05


def test_weight_bumping_raises_silent_neurons_and_doubles():
    net = Network([np.full((2, 3), -1.0), np.ones((3, 2))], [(), ()])
    bumper = WeightBumper(max_missing=(0.3, 0.0), value=0.01)
    hidden = np.array([[1.0, np.inf, np.inf], [1.0, 1.0, np.inf]])  # 3 of 6 silent > 0.3
    assert bumper(net, [hidden, np.ones((2, 2))])
    np.testing.assert_allclose(net.weights[0], [[-1.0, -0.99, -0.99]] * 2)
    assert bumper(net, [hidden, np.ones((2, 2))])
    np.testing.assert_allclose(net.weights[0][:, 1], -0.97)  # second bump of the same layer doubles
    assert not bumper(net, [np.ones((2, 3)), np.ones((2, 2))])
    assert bumper(net, [np.ones((2, 3)), np.array([[1.0, np.inf], [1.0, 1.0]])])  # output layer: max 0.0
    np.testing.assert_allclose(net.weights[1][:, 1], 1.01)
    np.testing.assert_allclose(net.weights[1][:, 0], 1.0)


def test_weight_limit_clips():
    net = Network([np.array([[5.0, -5.0, 0.5]])], [()], weight_limit=1.5)
    np.testing.assert_allclose(net.weights[0], [[1.5, -1.5, 0.5]])


def test_digits_learn_with_input_jitter():
    config = TTFSConfig.software_default(dataset="digits", epochs=15)
    assert config.train.input_noise_std == 0.3
    result = run(config, progress=False)
    assert result.test_accuracy > 0.75  # 10 classes: chance is 0.1
    assert result.plane is None and result.test_times.shape == (450, 10)
