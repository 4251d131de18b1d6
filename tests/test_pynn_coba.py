"""IF_cond_exp (COBA) on the emulator gives the PSPs NEST gives.

One excitatory (0.03 uS, reversal 0 mV) and one inhibitory (0.15 uS, reversal -75 mV) PSP
on a neuron resting at -60 mV, so both reversal potentials and both conductance scales
matter (the excitatory reversal potential, 255 CADC LSB, lies beyond what the CADC reads
and is extrapolated by the calibration). Tolerances as for the CUBA PSP in
``test_pynn_agreement``: peak 3 % (ideal chip) and 15 % (fixed-pattern noise, calibrated),
time-to-peak 0.1 ms and 0.75 ms.
"""
import numpy as np
import pytest
import quantities as pq

from bss2_experiments import backends

TAU_SYN_MS = 5.0
CELL = dict(tau_m=10.0, tau_syn_E=TAU_SYN_MS, tau_syn_I=TAU_SYN_MS, v_rest=-60.0, v_reset=-60.0,
            v_thresh=-45.0, tau_refrac=2.0, cm=1.0, e_rev_E=0.0, e_rev_I=-75.0)
INPUTS = {"excitatory": 0.03, "inhibitory": 0.15}
"""Receptor -> weight (uS)."""


def psp(sim, receptor: str, weight_us: float, **setup) -> tuple[float, float]:
    """Signed peak (mV from rest) and time-to-peak (ms after the input spike) of one PSP."""
    sim.setup(timestep=0.01, seed=11, **setup)
    post = sim.Population(1, sim.IF_cond_exp(**CELL))
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=weight_us), receptor_type=receptor)
    post.initialize(v=CELL["v_rest"])
    post.record("v")
    sim.run(50.0)
    v = post.get_data().segments[0].analogsignals[0]
    sim.end()
    t, y = v.times.rescale(pq.ms).magnitude, v.magnitude[:, 0]
    deflection = y - np.median(y[t < 9.0])
    top = np.abs(deflection) >= 0.75 * np.abs(deflection).max()  # parabola through the top quarter
    c = np.polyfit(t[top], deflection[top], 2)
    t_peak = -c[1] / (2 * c[0])
    return float(np.polyval(c, t_peak)), float(t_peak - 10.0)


def _psps(backend: str, **setup) -> dict:
    sim = backends.load(backend)
    return {receptor: psp(sim, receptor, w, **setup) for receptor, w in INPUTS.items()}


@pytest.fixture(scope="module")
def nest():
    return _psps("nest")


@pytest.mark.parametrize("setup, peak_rel, time_abs_ms", [
    (dict(ideal=True), 0.03, 0.02 * TAU_SYN_MS),
    (dict(chip_id=0), 0.15, 0.15 * TAU_SYN_MS),
], ids=["ideal", "calibrated"])
def test_coba_psp_agrees_with_nest(nest, setup, peak_rel, time_abs_ms):
    emulator = _psps("emulator", **setup)
    assert nest["excitatory"][0] > 3.0 and nest["inhibitory"][0] < -3.0  # PSPs worth measuring
    for receptor in INPUTS:
        assert emulator[receptor][0] == pytest.approx(nest[receptor][0], rel=peak_rel), receptor
        assert emulator[receptor][1] == pytest.approx(nest[receptor][1], abs=time_abs_ms), receptor
