"""Vectorised exponential and PSP fits against known parameters and scipy's curve_fit."""
from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit

from calibration.fitting import fit_decay, fit_psp, psp_kernel


def test_decay_fit_recovers_time_constants_of_all_neurons():
    rng = np.random.default_rng(0)
    t = np.arange(0, 40, 0.54)
    tau = rng.lognormal(np.log(10), 0.25, 512)
    y = 60 + 40 * np.exp(-t[:, None] / tau) + rng.normal(0, 0.5, (t.size, 512))
    free = fit_decay(t, y)
    fixed = fit_decay(t, y, offset=np.full(512, 60.0))
    assert np.abs(np.median(free.tau / tau - 1)) < 0.005
    assert np.std(fixed.tau / tau - 1) < 0.015
    assert np.std(fixed.tau / tau - 1) < np.std(free.tau / tau - 1)
    np.testing.assert_allclose(free.offset, 60, atol=2.0)


def test_decay_fit_matches_scipy_curve_fit():
    rng = np.random.default_rng(1)
    t = np.arange(0, 30, 0.54)
    y = 100 - 35 * np.exp(-t / 6.3) + rng.normal(0, 0.8, t.size)
    ours = fit_decay(t, y[:, None])
    (offset, amplitude, tau), _ = curve_fit(lambda t, c, a, tau: c + a * np.exp(-t / tau), t, y, p0=(90, -30, 5))
    assert abs(ours.tau[0] - tau) < 1e-3 * tau
    assert abs(ours.amplitude[0] - amplitude) < 1e-2 * abs(amplitude)


def test_weights_exclude_samples():
    t = np.arange(0, 40, 0.54)
    y = 50 + 30 * np.exp(-t / 8.0)
    y_bad = y.copy()
    y_bad[:5] = 255                                        # clipped samples
    weights = np.ones_like(y_bad)
    weights[:5] = 0
    fit = fit_decay(t, y_bad[:, None], weights[:, None], offset=np.array([50.0]))
    assert abs(fit.tau[0] - 8.0) < 1e-3


def test_psp_kernel_limits():
    t = np.array([0.0, 1.0, 5.0, 30.0])
    np.testing.assert_allclose(psp_kernel(t, 10.0, 10.0), t * np.exp(-t / 10.0))
    np.testing.assert_allclose(psp_kernel(t, 10.0, 10.0 + 1e-7), t * np.exp(-t / 10.0), rtol=1e-6)
    slow = psp_kernel(np.array([1e-4]), 5.0, 50.0)
    assert abs(slow[0] - 1e-4) < 1e-8                      # slope 1 at onset: unit jump of dV/dt
    assert psp_kernel(np.array([-1.0]), 5.0, 50.0)[0] == 0.0


def test_psp_fit_recovers_onset_slope():
    rng = np.random.default_rng(2)
    t = np.arange(-5, 60, 0.54)
    tau_s = rng.lognormal(np.log(10), 0.05, 512)
    tau_m = rng.lognormal(np.log(80), 0.25, 512)
    slope = 3.0 * rng.lognormal(0, 0.25, 512)
    y = 120 + slope * psp_kernel(t[:, None], tau_s, tau_m) + rng.normal(0, 0.5, (t.size, 512))
    fit = fit_psp(t, y, tau_s, np.full(512, 120.0))
    assert np.std(fit.amplitude / slope - 1) < 0.01
    assert np.abs(np.median(fit.tau / tau_m - 1)) < 0.03
