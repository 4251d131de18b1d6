"""Exact TTFS spike times and gradients (bss2_experiments.ttfs.model) against brute-force
integration of the LIF equations and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.ttfs import model
from bss2_experiments.ttfs.loss import TTFSLoss, predict
from bss2_experiments.ttfs.network import Network

DT = 1e-3  # tau_s


def integrate(t_in: np.ndarray, w: np.ndarray, tau_ratio: float, t_max: float = 12.0) -> np.ndarray:
    """First threshold crossing by stepping the LIF ODE (C_m = 1, g_l = tau_s / tau_m,
    threshold 1) with its exact one-step propagator; inputs on the time grid."""
    steps = int(t_max / DT)
    arrive = np.where(np.isfinite(t_in), np.rint(np.where(np.isfinite(t_in), t_in, 0) / DT), -1).astype(int)
    u = np.zeros((len(t_in), w.shape[1]))
    i_syn = np.zeros_like(u)
    decay_syn, decay_mem = np.exp(-DT), np.exp(-DT / tau_ratio)
    gain = DT * np.exp(-DT) if tau_ratio == 1.0 else 2.0 * (np.exp(-DT / 2) - np.exp(-DT))
    out = np.full(u.shape, np.inf)
    for step in range(steps):
        i_syn += np.einsum("bi,io->bo", (arrive == step).astype(float), w)
        u_new = decay_mem * u + gain * i_syn
        i_syn *= decay_syn
        crossed = np.isinf(out) & (u_new >= 1.0)
        frac = (1.0 - u[crossed]) / (u_new[crossed] - u[crossed])
        out[crossed] = (step + frac) * DT
        u = u_new
    return out


@pytest.mark.parametrize("tau_ratio", [1.0, 2.0])
def test_spike_times_match_brute_force_integration(tau_ratio):
    rng = np.random.default_rng(3)
    t_in = np.rint(rng.uniform(0.0, 3.0, (12, 6)) / DT) * DT
    t_in[0, :3] = np.inf  # some inputs silent
    w = rng.normal(0.9, 1.2, (6, 8))
    analytic = model.first_spike_times(t_in, w, tau_ratio)
    brute = integrate(t_in, w, tau_ratio)
    assert np.array_equal(np.isinf(analytic), np.isinf(brute))
    assert 0.2 < np.isfinite(analytic).mean() < 1.0  # the case mixes spiking and silent neurons
    spiking = np.isfinite(analytic)
    np.testing.assert_allclose(analytic[spiking], brute[spiking], atol=2e-5)


def test_lambert_w_case_on_a_hand_computed_example():
    # one input of weight w at t=0: s exp(-s) = 1/w; w = 2e gives s = 0.2319... (W0(-1/(2e)) = -0.2319)
    w = 2 * np.e
    t = model.first_spike_times(np.zeros((1, 1)), np.array([[w]]))
    s = t[0, 0]
    assert s * np.exp(-s) * w == pytest.approx(1.0, abs=1e-12)
    assert s < 1.0  # the rising crossing, before the PSP peak at s = 1
    assert np.isinf(model.first_spike_times(np.zeros((1, 1)), np.array([[np.e * 0.999]]))[0, 0])


def _finite_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grads = np.zeros(x.shape + f(x).shape)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        with np.errstate(invalid="ignore"):  # inf - inf where a neuron stays silent
            grads[idx] = (f(up) - f(down)) / (2 * eps)
    return grads


@pytest.mark.parametrize("tau_ratio", [1.0, 2.0])
def test_gradients_match_finite_differences(tau_ratio):
    rng = np.random.default_rng(7)
    t_in = rng.uniform(0.0, 2.0, (4, 5))
    w = rng.normal(1.5, 1.0, (5, 3))
    t_out = model.first_spike_times(t_in, w, tau_ratio)
    assert np.isfinite(t_out).sum() >= 8
    dt_dw, dt_dtin = model.spike_time_jacobians(t_in, w, t_out, tau_ratio)
    num_w = _finite_difference(lambda v: model.first_spike_times(t_in, v, tau_ratio), w)  # (i, o, b, o')
    num_t = _finite_difference(lambda v: model.first_spike_times(v, w, tau_ratio), t_in)  # (b, i, b', o)
    for b, o in zip(*np.nonzero(np.isfinite(t_out))):
        np.testing.assert_allclose(dt_dw[b, :, o], num_w[:, o, b, o], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(dt_dtin[b, :, o], num_t[b, :, b, o], rtol=1e-4, atol=1e-7)
    assert np.abs(dt_dw).max() > 0.05


def test_network_backward_is_the_gradient_of_the_loss():
    rng = np.random.default_rng(11)
    net = Network.random((3, 6, 3), [(0.9,), (0.9,)], (1.5, 0.8), (0.5, 0.5), rng)
    t_in = rng.uniform(0.15, 2.0, (5, 3))
    labels = np.array([0, 1, 2, 0, 1])
    loss = TTFSLoss()

    def total(weights):
        return loss(Network(weights, net.bias_times).forward(t_in)[-1], labels)[0]

    times = net.forward(t_in)
    assert all(np.isfinite(t).all() for t in times)
    grads = net.backward(t_in, times, loss(times[-1], labels)[1])
    for l, w in enumerate(net.weights):
        def f(v, l=l):
            weights = [x.copy() for x in net.weights]
            weights[l] = v
            return np.array(total(weights))
        np.testing.assert_allclose(grads[l], _finite_difference(f, w), rtol=1e-4, atol=1e-8)


def test_max_dw_norm_drops_diverging_samples():
    t_in = np.array([[0.0]])
    w = np.array([[np.e * 1.0001]])  # barely reaches threshold: u'(t) ~ 0
    t_out = model.first_spike_times(t_in, w)
    full, _ = model.backward(t_in, w, t_out, np.ones((1, 1)))
    assert abs(full[0, 0]) > 10
    chopped, _ = model.backward(t_in, w, t_out, np.ones((1, 1)), max_dw_norm=0.2)
    assert chopped[0, 0] == 0.0


def test_loss_and_prediction():
    t_out = np.array([[1.0, 2.0, np.inf], [np.inf, 1.0, 1.5], [np.inf, np.inf, np.inf]])
    labels = np.array([0, 0, 1])
    value, grad = TTFSLoss()(t_out, labels)
    first = np.log(1 + np.exp(-5.0)) + 0.005 * np.e  # softmax cross-entropy with xi = 0.2, regulariser
    assert value == pytest.approx((first + 100 + 100) / 3)
    assert grad[0, 0] > 0 > grad[0, 1]  # descent moves the label spike earlier, the other later
    assert grad[0, 2] == 0 and not grad[1:].any()
    assert predict(t_out).tolist() == [0, 1, -1]


def test_bad_inputs_are_rejected_with_clear_errors():
    with pytest.raises(ValueError, match="tau_m / tau_s = 3"):
        model.first_spike_times(np.zeros((1, 1)), np.ones((1, 1)), tau_ratio=3)
    with pytest.raises(ValueError, match="NaN"):
        model.first_spike_times(np.array([[np.nan]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"t_in \(batch, n_in\)"):
        model.first_spike_times(np.zeros((1, 2)), np.ones((3, 1)))
    net = Network.random((4, 5, 3), [(0.9,), ()], (1, 1), (1, 1), np.random.default_rng(0))
    with pytest.raises(ValueError, match="takes 4 input times"):
        net.forward(np.zeros((2, 3)))


def test_compiled_lambert_w_matches_scipy():
    from scipy.special import lambertw

    from bss2_experiments.ttfs.kernels import lambert_w0
    z = np.concatenate([-np.exp(-1.0) + np.logspace(-14, -1, 30), np.linspace(-0.3, -1e-9, 50)])
    ours = np.array([lambert_w0(v) for v in z])
    np.testing.assert_allclose(ours, lambertw(z, 0).real, rtol=1e-12, atol=1e-7)  # atol: sqrt near -1/e
    assert lambert_w0(-np.exp(-1.0)) == -1.0


@pytest.mark.parametrize("tau_ratio, max_dw_norm", [(1.0, None), (1.0, 0.2), (2.0, 0.2)])
def test_fused_backward_contracts_the_jacobians(tau_ratio, max_dw_norm):
    rng = np.random.default_rng(5)
    t_in = rng.uniform(0.0, 2.0, (30, 6))
    w = rng.normal(1.0, 1.0, (6, 4))
    t_out = model.first_spike_times(t_in, w, tau_ratio)
    g = rng.normal(0.0, 1.0, t_out.shape)
    dt_dw, dt_dtin = model.spike_time_jacobians(t_in, w, t_out, tau_ratio)
    g_eff = np.where(np.isfinite(t_out), g, 0.0)[:, None, :]
    per_sample = dt_dw * g_eff
    if max_dw_norm is not None:
        chopped = np.abs(per_sample).max(axis=1, keepdims=True) > max_dw_norm
        assert chopped.any() and not chopped.all()
        per_sample = np.where(chopped, 0.0, per_sample)
    grad_w, grad_in = model.backward(t_in, w, t_out, g, tau_ratio, max_dw_norm)
    np.testing.assert_allclose(grad_w, per_sample.sum(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_in, (dt_dtin * g_eff).sum(axis=2), rtol=1e-10, atol=1e-12)
