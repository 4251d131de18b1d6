"""Circuit model of the Lu.i board: derived parameters and the published behaviour."""
import numpy as np
import pytest

from lui_board.model import simulate
from lui_board.parameters import BoardSettings, CircuitParameters

#: doc/figures/lui_output_trace.png: VDD 2.4 V fits both the 1.24 V peak and the ~2.3 V pulse;
#: V_leak at VDD and RV6 at 65 % (32.5 kohm) fit its 0.38 s ramp from 0.4 V to the threshold.
PUBLISHED = BoardSettings(v_battery_volt=2.4, leak_position=1.0, tau_mem_position=0.65)


def test_parameters_follow_component_values():
    p = CircuitParameters.from_settings(BoardSettings(v_battery_volt=3.0))
    assert p.v_threshold_volt / 3.0 == pytest.approx(0.517, abs=0.001)           # R17/R18/R21
    assert p.v_threshold_after_spike_volt / 3.0 == pytest.approx(0.264, abs=0.001)
    assert p.g_transconductance_siemens == pytest.approx(0.29e-3, rel=0.01)       # 2*(22/69)/2.2k
    assert p.refractory_s == pytest.approx(15.5e-3, rel=0.01)                      # 22 ms * ln(...)
    assert np.diff(p.v_led_taps_volt) == pytest.approx([3.0 * 56 / 806] * 5)       # R28 + 6 x 56k
    assert p.tau_mem_s == pytest.approx(0.55) and p.tau_syn_s == pytest.approx(0.11)
    weakest = CircuitParameters.from_settings(BoardSettings(weight_positions=(1, 1, 1)))
    strongest = CircuitParameters.from_settings(BoardSettings(weight_positions=(0, 0, 0)))
    assert weakest.g_weight_siemens[0] == pytest.approx(44.5e-6, rel=0.01)         # README: 45 u
    assert strongest.g_weight_siemens[0] == pytest.approx(2.13e-3, rel=0.01)       # README: 2 m


def test_published_trace_is_reproduced():
    """doc/figures/lui_output_trace.png: ramp to ~1.24 V, reset to ~0 V, ~15 ms pulse of ~2.5 V."""
    tr = simulate(PUBLISHED, [[], [], []], 1.5).board(0)
    t_spike, t_next = tr.spike_times_s[0][:2]
    before = tr.t_s < t_spike
    assert tr.v_membrane_volt[before].max() == pytest.approx(1.24, abs=0.02)
    ramp = (tr.t_s > t_spike + 0.02) & (tr.t_s < t_next)
    t_04 = tr.t_s[ramp][np.argmax(tr.v_membrane_volt[ramp] > 0.4)]
    assert t_next - t_04 == pytest.approx(0.38, rel=0.15)
    after = (tr.t_s > t_spike + 3e-3) & (tr.t_s < t_spike + 14e-3)
    assert tr.v_membrane_volt[after].max() < 0.02                                  # clamped to GND
    high = tr.v_output_volt > 1.0
    edges = np.flatnonzero(np.diff(high.astype(int)))
    width_s = tr.t_s[edges[1]] - tr.t_s[edges[0]]
    assert width_s == pytest.approx(15.5e-3, abs=1.0e-3)
    assert tr.v_output_volt.max() == pytest.approx(2.35, abs=0.05)                 # 2.5 V nominal
    # fast recovery (~50 ms in the figure) to the pull transistor's compliance, ~0.16 VDD
    t_release = tr.t_s[edges[1]]
    assert t_04 - t_release == pytest.approx(0.06, abs=0.025)


def test_psp_sign_follows_the_switch():
    settings = [BoardSettings(signs=(s, 1, 1), leak_position=0.3, tau_mem_position=0.5,
                              weight_positions=(0.3, 1, 1)) for s in (1, -1)]
    tr = simulate(settings, [[[(0.2, 0.015)], [], []]] * 2, 0.8, v_membrane_volt=0.9)
    rest = tr.v_membrane_volt[np.searchsorted(tr.t_s, 0.19)]
    peak_exc = tr.v_membrane_volt[:, 0].max() - rest[0]
    dip_inh = rest[1] - tr.v_membrane_volt[np.searchsorted(tr.t_s, 0.2):, 1].min()
    assert peak_exc > 0.05 and dip_inh > 0.05
    assert tr.spike_times_s[0].size == 0 and tr.spike_times_s[1].size == 0


def test_rate_grows_with_input_rate_and_weight():
    rates_hz = [5, 10, 20, 40]
    stim = [[[(0.05 + k / r, 0.015) for k in range(int(1.95 * r))], [], []] for r in rates_hz]
    tr = simulate([BoardSettings(weight_positions=(0.2, 1, 1))] * 4, stim, 2.0)
    counts = [len(s) for s in tr.spike_times_s]
    assert counts == sorted(counts) and counts[0] < counts[-1] and counts[-1] >= 5


def test_membrane_floor_from_the_pull_transistor_compliance():
    """With V_leak at 0 V the membrane does not rest at 0 V: the push side sources
    (VDD - V_push)/R14 while the pull FET, below its source voltage, only sinks V/R15."""
    s = BoardSettings(v_battery_volt=3.0, leak_position=0.0, tau_mem_position=0.5)
    p = CircuitParameters.from_settings(s)
    i_push = (1 - p.push_vdd_gain - p.push_syn_gain / 2) * 3.0 / p.r_push_ohm
    v_rest = i_push / (1 / p.r_pull_ohm + 1 / p.r_leak_ohm)
    assert v_rest == pytest.approx(0.439, abs=0.002)
    tr = simulate(s, [[], [], []], 1.0).board(0)
    assert tr.v_membrane_volt[-1] == pytest.approx(v_rest, abs=0.002)


def test_led_bar_follows_membrane():
    tr = simulate(BoardSettings(v_battery_volt=3.0, leak_position=1.0, tau_mem_position=1.0),
                  [[], [], []], 0.6).board(0)
    lit = tr.leds_lit.sum(axis=1)
    v = tr.v_membrane_volt
    assert lit[np.argmin(np.abs(v - 0.5))] == 2          # taps at 0.21, 0.42, 0.63 V (3 V)
    assert lit[np.argmin(np.abs(v - 1.1))] == 5


def test_flat_battery_board_cannot_drive_the_next():
    from lui_board.network import Network, NetworkState, Wire
    flat = BoardSettings(v_battery_volt=1.7, leak_position=1.0, tau_mem_position=0.3)
    net = Network({"a": flat, "b": BoardSettings(weight_positions=(0, 0, 0))}, [Wire("a", "b", 0)])
    state = NetworkState(net)
    spikes = [state.step(np.zeros(3, dtype=bool)) for _ in range(10000)]
    fired = ~np.isnan(np.array(spikes))
    assert fired[:, 0].any() and not fired[:, 1].any()      # 1.7 V output < 1.8 V input threshold


def test_settings_are_validated():
    with pytest.raises(ValueError, match="0..1"):
        BoardSettings(weight_positions=(1.5, 0, 0))
    with pytest.raises(ValueError, match="coin cell"):
        BoardSettings(v_battery_volt=5.0)
