"""Rate-based reference (it homes; the memory holds the home vector), CMA-ES on it,
bad parameters, and the spiking network on the emulated chip (heading decoding from TB1 in the
rotating heading frame)."""
from __future__ import annotations

import numpy as np
import pytest

from bss2_experiments.insect import anatomy, chip, rate, tuning, world
from bss2_experiments.insect.experiment import InsectConfig


def test_rate_model_homes_like_stone_et_al():
    j = rate.run_journeys(rate.Gains(), 50, 1000, 1000, seed=3)
    assert j.turning_distance().mean() > 150            # routes lead far out
    assert j.success().mean() >= 0.9                     # within the 20-step home range
    assert np.median(j.closest_approach()) < 10


def test_memory_integrates_a_straight_route_to_the_home_vector():
    for heading in (0.3, 2.0, -2.5):
        model = rate.RateModel(rate.Gains(), 1, np.random.default_rng(0), noise=0.0)
        h, v = np.array([heading]), np.zeros((1, 2))
        for _ in range(150):
            model.step(h, v)
            h, v = world.body_step(h, v, np.zeros(1))
        angle, amplitude = model.home_vector()
        # the decoded vector points along the outbound heading (the nest lies opposite)
        assert abs(world.wrap(angle[0] - heading)) < 0.25   # 8 columns, rectified integrand
        assert amplitude[0] > 0.5


def test_cma_es_improves_bad_gains_on_the_rate_model():
    bad = rate.Gains(memory_gain=0.1, turn_gain=0.05)
    start = tuning.loss(bad, "rate", 10, 300, 300, seed=0)
    result = tuning.tune(bad, generations=4, population=6, journeys=10, outbound_steps=300, homing_steps=300,
                         model="rate", seed=0, sigma=0.3)
    assert result.history.shape == (4, 2) and result.evaluations == 24
    assert result.best_loss < 0.5 * start


def test_bad_parameters_give_clear_errors():
    with pytest.raises(ValueError, match="turn_gain"):
        rate.Gains(turn_gain=50.0)
    with pytest.raises(ValueError, match="n_journeys"):
        rate.run_journeys(rate.Gains(), 0, 10, 10)
    with pytest.raises(ValueError, match="journeys"):
        InsectConfig(journeys=0)
    with pytest.raises(ValueError, match="frame_block"):
        InsectConfig(frame_block=256)
    with pytest.raises(ValueError, match="65535"):
        chip.run_journeys(rate.Gains(), 1, 60000, 6000)
    with pytest.raises(ValueError, match="queue"):
        chip.run_journeys(rate.Gains(memory_weight=3.0), 1, 10, 10, settings=chip.ChipSettings(compass_events=14))
    with pytest.raises(ValueError, match="do not fit"):
        anatomy.to_6bit(np.array([0.001, 1.0]), 20.0)
    with pytest.raises(ValueError, match="'chip' or 'rate'"):
        tuning.loss(rate.Gains(), "brian", 1, 10, 10, 0)


def test_connectivity_after_stone_et_al():
    assert anatomy.cpu4_cpu1().sum(axis=0).tolist() == [1] * 16      # every CPU4 column read once
    assert anatomy.tb1_cpu1().sum(axis=1).tolist() == [1] * 16
    w = anatomy.tb1_tb1()
    assert np.allclose(np.diag(w), 0) and np.allclose(w[0, 4], 1)     # opposite columns inhibit fully
    np.testing.assert_array_equal(anatomy.to_6bit(w, 63).max(), 63)


def test_tb1_population_vector_decodes_the_heading_on_the_chip():
    import bss2_experiments.pynn as sim
    s = chip.ChipSettings()
    steps = 60
    sim.setup(timestep=s.timestep_ms, chip_id=0, seed=2, progress=False)
    try:
        rule, pops = chip.build(sim, rate.Gains(), s, steps, 1, 1)
        res = sim.run_batch(s.step_ms * (steps + 2), inputs={pops["compass"]: [[[]] * 16]})
    finally:
        sim.end()
    from ppu_firmware import host
    d = host.decode_mailbox("insect_world", res.run.plasticity.mailbox[0, 0])
    heading = d["sample_heading"][:steps] * 2 * np.pi / 65536
    trains = res.spike_times(pops["tb1"])[0]
    edges = s.step_ms * np.arange(1, steps + 2)    # step k's events arrive at the end of call k
    counts = np.array([np.histogram(t, bins=edges)[0] for t in trains])   # (8, steps)
    pref = np.arange(8) * np.pi / 4
    vector = (counts * np.exp(1j * pref)[:, None]).sum(axis=0)
    decoded = np.angle(vector) + np.pi          # TB1 is inhibited around the heading (CL1 = 1 - TL2)
    frame = chip.frame_schedule(steps, s.frame_block)   # the compass is sent in the rotated frame
    assert frame.max() == 7
    settled = (np.arange(steps) >= 5) & (np.arange(steps) % s.frame_block != 0)   # TB1 lags a frame jump by a step
    err = np.abs(world.wrap(decoded - frame * np.pi / 4 - heading))[settled]
    # measured (chip 0, seed 2): median 23 degrees, 90th percentile 44 (frame fixed: median 18; the
    # first step after a frame jump: median 39; the frame subtracted with the wrong sign: median 110)
    assert np.median(err) < np.deg2rad(30) and np.percentile(err, 90) < np.deg2rad(50)


def _decode(memory: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position angle (heading convention) and amplitude of chip memories (n, 16)."""
    m = memory.reshape(-1, 2, 8)
    fund = np.fft.fft(np.roll(m[:, 0], 1, axis=1) + np.roll(m[:, 1], -1, axis=1), axis=1)[:, 1]
    return -np.angle(fund), np.abs(fund)


@pytest.mark.slow
def test_chip_memory_holds_the_home_vector_without_clipping():
    outbound = 300
    offsets = chip.measure_offsets(chip.CHIP_GAINS, chip.ChipSettings(), seed=1)
    out = chip.run_journeys(chip.CHIP_GAINS, 6, outbound, 1, seed=1, sample_every=1, offsets=offsets)
    angle, _ = _decode(out.memory)
    p = out.journeys.positions[:, outbound - 1]
    err = world.wrap(angle - np.arctan2(p[:, 0], p[:, 1]))
    assert np.median(np.abs(err)) < np.deg2rad(20)           # decoded position angle on the chip
    # straight flights of 150 and 450 steps (~120 and ~370 out): the stored length grows in
    # proportion; with the former gain (0.01) the accumulator clipped after ~150 steps
    amplitude, distance = [], []
    for steps in (150, 450):
        straight = chip.run_journeys(chip.CHIP_GAINS, 1, steps, 1, seed=1, sample_every=2, offsets=offsets,
                                     extra={"turn_sd": 0, "turn_memory": 0, "heading": 20000})
        amplitude.append(_decode(straight.memory)[1][0])
        distance.append(np.linalg.norm(straight.journeys.positions[0, steps // 2 - 1]))
    assert amplitude[1] / amplitude[0] == pytest.approx(distance[1] / distance[0], rel=0.15)
    assert np.abs(straight.memory).max() < 0.99                # no column at the accumulator's end


SUCCESS_10 = 0.7
"""At least 7 of the 10 journeys below reach the home range (measured on chip 0, seed 0, heading
frame rotated every 4 steps, the step after a jump repeating the settled update: 9 of 10, mean
closest approach / turning distance 0.032; without the rotation, with per-column CPU4 offsets per
flight phase, 2 of 10 and 0.32)."""


@pytest.mark.slow
def test_bees_come_home_from_1000_step_routes():
    trips = chip.run_journeys(chip.CHIP_GAINS, 10, 1000, 1000, seed=0)
    turning = trips.journeys.turning_distance()
    assert turning.mean() > 150                                # routes lead far out
    assert np.mean(trips.closest_approach / turning) < 0.1     # they reach the nest (measured 0.03; 0.32 unrotated)
    assert trips.success().mean() >= SUCCESS_10
