"""Neuron dynamics of the emulator against closed forms (ideal mode, hardware units)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import lambertw

from emulator.chip import Emulator
from emulator.integrator import SERIES_LIMIT, exp_neg, psc_kernel
from emulator.interface import MADCSource, Stimulus
from emulator.readout import MADC_MV_PER_LSB
from emulator.transfer import SYN_CURRENT_PER_LSB_NA
from emulator_setups import INPUT_LABEL, design_physics, single_neuron

INPUT_TIMES_US = np.array([2.0, 3.2, 4.8, 6.4])          # on the 8 ns FPGA grid


def lambert_w_first_spike_us(times_us, amplitude_mv_per_us, tau_us, theta_mv) -> float:
    """First threshold crossing of a LIF with tau_m = tau_s = tau (Goeltz et al. 2021,
    Nat. Mach. Intell. 3:823, eq. for t*): V(t) - V_leak = sum_i A (t - t_i) exp(-(t - t_i)/tau)
    = exp(-t/tau) (a t - b) reaches theta at t* = b/a - tau W0(-theta/(a tau) exp(b/(a tau)))."""
    a = np.sum(amplitude_mv_per_us * np.exp(times_us / tau_us))
    b = np.sum(amplitude_mv_per_us * times_us * np.exp(times_us / tau_us))
    z = -theta_mv / (a * tau_us) * np.exp(b / (a * tau_us))
    assert z >= -1 / np.e, "the inputs are too weak to reach threshold"
    return float(b / a - tau_us * np.real(lambertw(z, 0)))


def first_spike_us(dt_us: float) -> float:
    cfg = single_neuron(weight=63)
    result = Emulator(ideal=True, dt_us=dt_us).run(cfg, Stimulus.single(INPUT_TIMES_US, INPUT_LABEL), 40.0, seed=0)
    return float(result.spikes.times_of(0)[0])


def test_first_spike_matches_lambert_w_and_converges():
    cfg = single_neuron(weight=63)
    phys = design_physics(cfg)
    tau = phys.tau_syn_us[0, 0]
    assert phys.tau_m_us[0] == pytest.approx(tau)
    amplitude = 63 * SYN_CURRENT_PER_LSB_NA / phys.c_pf[0]        # mV/us per unit kernel
    expected = lambert_w_first_spike_us(INPUT_TIMES_US, amplitude, tau, phys.v_thresh_mv[0] - phys.v_leak_mv[0])
    errors = {dt: abs(first_spike_us(dt) - expected) for dt in (0.5, 0.2, 0.1, 0.02)}
    print(f"analytic t* = {expected:.4f} us; |error| by dt: {errors}")
    assert errors[0.1] < 0.01 * tau                          # default step: within 1 % of tau_s
    assert errors[0.02] < 0.01 * tau
    assert errors[0.5] > errors[0.1] >= errors[0.02] - 0.004   # shrinks with dt (down to the 8 ns tick)
    assert errors[0.02] < 0.01                               # 10 ns


@pytest.mark.parametrize("tau_m_us, tau_s_us", [(6.0, 6.0), (6.0, 6.2), (10.0, 0.3), (0.5, 30.0)])
def test_event_kernel_matches_the_integral_on_both_sides_of_the_series_limit(tau_m_us, tau_s_us):
    """The membrane kernel int_0^h exp(-s/tau_s) exp(-(h-s)/tau_m) ds, evaluated in closed form
    (h exp(-h/tau) for equal constants), to 1e-11 relative for steps below and above the
    argument where the integrator switches from Taylor series to exp."""
    for h in SERIES_LIMIT * min(tau_m_us, tau_s_us) * np.array([0.01, 0.5, 0.999, 1.001, 3.0, 200.0]):
        if tau_m_us == tau_s_us:
            exact = h * np.exp(-h / tau_s_us)
        else:
            exact = (np.exp(-h / tau_s_us) - np.exp(-h / tau_m_us)) / (1 / tau_m_us - 1 / tau_s_us)
        assert psc_kernel(h, tau_m_us, tau_s_us) == pytest.approx(exact, rel=1e-11)
        assert exp_neg(h / tau_s_us) == pytest.approx(np.exp(-h / tau_s_us), rel=1e-11)


def psp_trace_mv(weight: int, inhibitory: bool = False) -> tuple[np.ndarray, np.ndarray]:
    cfg = single_neuron(weight=weight, inhibitory=inhibitory, threshold=False)
    cfg.readout.madc_neurons = (0,)
    result = Emulator(ideal=True).run(cfg, Stimulus.single([5.0], INPUT_LABEL), 60.0, seed=0)
    return result.madc.time_us, result.madc.samples[0, 0].astype(float) * MADC_MV_PER_LSB


def test_psp_amplitude_is_linear_in_the_6_bit_weight_and_peaks_at_tau():
    weights = np.array([8, 16, 24, 32, 40, 48, 56, 63])
    peaks, peak_times = [], []
    for w in weights:
        t, v = psp_trace_mv(int(w))
        base = v[t < 5.0].mean()
        peaks.append(v.max() - base)
        peak_times.append(t[v >= v.max() - 0.5 * MADC_MV_PER_LSB].mean() - 5.0)   # centre of the top code
    slope, intercept = np.polyfit(weights, peaks, 1)
    residual = np.max(np.abs(np.polyval([slope, intercept], weights) - peaks))
    phys = design_physics(single_neuron())
    expected_slope = SYN_CURRENT_PER_LSB_NA / phys.c_pf[0] * phys.tau_m_us[0] / np.e   # kernel max = tau/e
    print(f"PSP slope {slope:.3f} mV/LSB (design {expected_slope:.3f}), intercept {intercept:.2f} mV")
    assert slope == pytest.approx(expected_slope, rel=0.03)
    assert abs(intercept) < 2 * MADC_MV_PER_LSB
    assert residual < 2 * MADC_MV_PER_LSB
    assert np.median(peak_times) == pytest.approx(phys.tau_m_us[0], abs=0.3)   # t_peak = tau for tau_m = tau_s


def test_inhibitory_row_gives_negative_psp_of_equal_size():
    t, v_exc = psp_trace_mv(40)
    _, v_inh = psp_trace_mv(40, inhibitory=True)
    base = v_exc[t < 5.0].mean()
    assert base - v_inh.min() == pytest.approx(v_exc.max() - base, abs=2 * MADC_MV_PER_LSB)


def regular_spikes(refractory_ticks: int, **adaptation) -> np.ndarray:
    cfg = single_neuron(threshold=True)
    n = cfg.neurons
    n.constant_current_enable[0] = True
    n.constant_current_i_offset[0] = 400                        # 40 nA >> threshold current
    n.refractory_period_refractory_time[0] = refractory_ticks
    n.refractory_period_input_clock[0] = 1                      # 125 ns per tick
    for name, value in adaptation.items():
        getattr(n, name)[0] = value
    cfg.readout.madc_neurons = (0,)
    return Emulator(ideal=True).run(cfg, Stimulus.empty(), 200.0, seed=0)


def test_refractory_period_lengthens_the_interspike_interval_by_its_length():
    isi_short = np.diff(regular_spikes(40).spikes.times_of(0))
    isi_long = np.diff(regular_spikes(120).spikes.times_of(0))
    assert isi_long.std() < 0.02 and isi_short.std() < 0.02
    assert isi_long.mean() - isi_short.mean() == pytest.approx(80 * 0.125, abs=0.05)


def test_reset_clamps_the_membrane_to_the_reset_potential_for_the_refractory_time():
    result = regular_spikes(80)
    phys = design_physics(single_neuron())
    spike = result.spikes.times_of(0)[1]
    t, v = result.madc.time_us, result.madc.samples[0, 0] * MADC_MV_PER_LSB
    clamped = v[(t > spike + 0.5) & (t < spike + 9.5)]            # tau_reset = 0.03 us: settled at once
    assert np.abs(clamped - phys.v_reset_mv[0]).max() < 1.5 * MADC_MV_PER_LSB
    assert v[(t > spike + 10.5) & (t < spike + 11.0)].min() > phys.v_reset_mv[0] + 5   # released after 10 us


def test_spike_triggered_adaptation_slows_firing():
    plain = np.diff(regular_spikes(20).spikes.times_of(0))
    adapting = np.diff(regular_spikes(20, adaptation_enable=True, adaptation_i_bias_b=200,
                                      adaptation_i_bias_tau=30).spikes.times_of(0))
    assert plain.max() - plain.min() < 0.05
    assert adapting[-1] > 1.5 * adapting[0]                      # spike-frequency adaptation
    assert np.all(np.diff(adapting[:5]) > 0)


def test_exponential_term_makes_the_neuron_fire_without_reaching_a_high_threshold():
    cfg = single_neuron(threshold=True, threshold_dac=900)       # threshold far above the inputs
    cfg.neurons.exponential_enable[0] = True
    cfg.neurons.exponential_v_exp[0] = 300                       # onset 352 mV
    cfg.neurons.exponential_i_bias[0] = 200
    stim = Stimulus.single(np.arange(5.0, 10.0, 0.4), INPUT_LABEL)
    with_exp = Emulator(ideal=True).run(cfg, stim, 60.0, seed=0).spikes.times_of(0)
    cfg.neurons.exponential_enable[0] = False
    without = Emulator(ideal=True).run(cfg, stim, 60.0, seed=0).spikes.times_of(0)
    assert without.size == 0 and with_exp.size >= 1


def test_coba_input_shrinks_as_the_membrane_approaches_the_reversal_potential():
    def peak(leak_dac: int) -> float:
        cfg = single_neuron(weight=63, threshold=False, leak_dac=leak_dac)
        cfg.neurons.excitatory_input_enable_coba_mode[0] = True
        cfg.neurons.excitatory_input_v_rev_coba[0] = 600          # 704 mV
        cfg.readout.madc_neurons = (0,)
        r = Emulator(ideal=True).run(cfg, Stimulus.single([5.0], INPUT_LABEL), 40.0, seed=0)
        v = r.madc.samples[0, 0] * MADC_MV_PER_LSB
        return v.max() - v[r.madc.time_us < 5.0].mean()
    far, near = peak(200), peak(500)                             # drive 470 mV vs 117 mV
    assert near / far == pytest.approx((704 - 587) / (704 - 235), rel=0.1)


def test_synaptic_current_readout_decays_with_tau_syn():
    cfg = single_neuron(weight=63, threshold=False, tau_syn_bias=60)   # 5 us
    cfg.readout.madc_neurons = (0,)
    cfg.readout.madc_source = MADCSource.EXCITATORY_SYNIN
    r = Emulator(ideal=True).run(cfg, Stimulus.single([5.0], INPUT_LABEL), 40.0, seed=0)
    t, code = r.madc.time_us, r.madc.samples[0, 0].astype(float) - 512
    window = (t > 6.0) & (t < 15.0)
    slope = np.polyfit(t[window] - 5.0, np.log(code[window]), 1)[0]
    assert -1.0 / slope == pytest.approx(5.0, rel=0.05)
