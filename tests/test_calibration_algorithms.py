"""Search algorithms on synthetic monotonic functions (no chip)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.algorithms import BinarySearch, LinearPrediction, NoisyBinarySearch

N = 512


def counting(function):
    """Wrap ``function(values)`` and count its calls (measurements)."""
    def measure(values):
        measure.calls += 1
        assert values.min() >= 0 and values.max() <= 1022, "search left the CapMem range"
        return function(values)
    measure.calls = 0
    return measure


def per_neuron_lines(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 0.3, N), rng.uniform(-20, 40, N)


def test_binary_search_hits_increasing_targets_in_12_measurements():
    slope, offset = per_neuron_lines()
    measure = counting(lambda v: offset + slope * v)
    target = np.full(N, 80.0)
    found = BinarySearch().search(measure, target)
    assert measure.calls == 12, "calix' BinarySearch takes 10 bisection steps + 2 probes over 0..1022"
    best_possible = slope / 2 + 1e-9                       # half a DAC step in result units
    assert np.all(np.abs(found.results - target) <= best_possible)
    np.testing.assert_allclose(found.results, offset + slope * found.values)
    assert found.success.all()


def test_binary_search_inverted():
    """A larger parameter gives a smaller result (e.g. tau = c / bias)."""
    scale = np.random.default_rng(1).lognormal(np.log(3000), 0.25, N)
    measure = counting(lambda v: scale / np.maximum(v, 1))
    found = BinarySearch().search(measure, 10.0, inverted=True, shape=(N,))
    ideal = scale / 10.0
    assert np.all(np.abs(found.values - ideal) <= 1.0)
    assert found.success.all()


def test_unreachable_targets_are_flagged_not_hidden():
    slope, offset = per_neuron_lines(2)
    measure = counting(lambda v: offset + slope * v)
    target = np.full(N, 80.0)
    target[:3] = offset[:3] - 5                              # below the result at DAC 0
    target[3:6] = offset[3:6] + slope[3:6] * 1022 + 5         # above the result at DAC 1022
    found = BinarySearch().search(measure, target)
    assert np.flatnonzero(~found.success).tolist() == [0, 1, 2, 3, 4, 5]
    assert (found.values[:3] == 0).all() and (found.values[3:6] == 1022).all()


def test_noisy_binary_search_on_noisy_measurements():
    slope, offset = per_neuron_lines(3)
    rng = np.random.default_rng(4)
    noise = 0.3                                            # result units, ~1.5 DAC steps
    measure = counting(lambda v: offset + slope * v + rng.normal(0, noise, v.shape))
    found = NoisyBinarySearch(seed=5).search(measure, np.full(N, 80.0))
    true_error = offset + slope * found.values - 80.0
    assert measure.calls <= 17, "one more step, one more probe and at most 3 recovery probes"
    assert np.std(true_error) < 2.5 * noise
    assert np.abs(true_error).max() < 6 * noise
    assert found.success.mean() > 0.99


def test_noisy_search_jitters_the_starting_points():
    """Identical neurons start at different values within +-5 (calix' remedy for CapMem
    crosstalk) and still end on the best value."""
    seen = []

    def measure(v):
        seen.append(v.copy())
        return 0.2 * v
    found = NoisyBinarySearch(noise_amplitude=5, seed=0).search(measure, np.full(N, 100.5))
    first = seen[0]
    assert np.unique(first).size >= 8 and np.abs(first - 511).max() <= 5
    assert np.all(np.abs(0.2 * found.values - 100.5) <= 0.1 + 1e-9)


def test_per_neuron_bounds_for_refinement():
    slope, offset = per_neuron_lines(6)
    exact = np.rint((80 - offset) / slope).astype(int)
    low, high = np.clip(exact - 16, 0, 1022), np.clip(exact + 16, 0, 1022)
    measure = counting(lambda v: offset + slope * v)
    found = BinarySearch().search(measure, np.full(N, 80.0), low=low, high=high)
    assert measure.calls <= 8
    assert np.all((found.values >= low) & (found.values <= high))
    assert np.all(np.abs(found.values - (80 - offset) / slope) <= 1.0)


def test_lockstep_searches_of_any_shape():
    rng = np.random.default_rng(7)
    slope = rng.uniform(0.1, 0.3, (2, N))
    found = BinarySearch().search(lambda v: slope * v, np.array([[50.0], [100.0]]), shape=(2, N))
    assert found.values.shape == (2, N)
    assert np.all(np.abs(slope * found.values - np.array([[50.0], [100.0]])) <= slope / 2 + 1e-9)


def test_nan_measurements_count_as_failed():
    def measure(v):
        r = 0.2 * v.astype(float)
        r[..., :4] = np.nan
        return r
    found = BinarySearch().search(measure, np.full(N, 50.0))
    assert not found.success[:4].any() and found.success[4:].all()


def test_linear_prediction_for_digital_offsets():
    rng = np.random.default_rng(8)
    channel = rng.normal(0, 20, N)
    found = LinearPrediction(probe=0, slope=1.0, low=-128, high=127).search(
        lambda offset: 120 + channel + offset, np.full(N, 120.0))
    assert np.all(np.abs(found.results - 120.0) <= 0.5)
    channel[0] = 300                                       # cannot be compensated in -128..127
    found = LinearPrediction(probe=0, slope=1.0, low=-128, high=127).search(
        lambda offset: 120 + channel + offset, np.full(N, 120.0))
    assert not found.success[0] and found.success[1:].all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), target=st.floats(5, 95), inverted=st.booleans())
def test_binary_search_any_monotonic_function(seed, target, inverted):
    """For arbitrary strictly monotonic per-neuron tables, the result is the closest value."""
    rng = np.random.default_rng(seed)
    table = np.cumsum(rng.uniform(0.01, 0.2, (1023, 16)), axis=0)
    table = 100 * table / table[-1]
    if inverted:
        table = table[::-1]
    cols = np.arange(16)
    found = BinarySearch().search(lambda v: table[v, cols], target, inverted=inverted, shape=(16,))
    closest = np.abs(table - target).min(axis=0)
    np.testing.assert_allclose(np.abs(found.results - target), closest, atol=1e-12)


def test_noisy_search_interpolates_when_noise_is_one_step():
    """Noise comparable to one parameter step: the chosen value is still within one step
    of the true crossing for > 99 % of entries (line through the final probes)."""
    rng = np.random.default_rng(0)
    slope, offset = rng.uniform(0.8, 1.2, N), rng.uniform(-100, 100, N)
    errors = []
    for seed in range(4):
        found = NoisyBinarySearch(seed=seed).search(
            lambda v: offset + slope * v + rng.normal(0, 0.4, v.shape), np.full(N, 400.0))
        errors.append(np.abs(offset + slope * found.values - 400.0) / slope)
    errors = np.concatenate(errors)
    assert errors.mean() < 0.35 and np.mean(errors > 1.0) < 0.01


def test_noisy_search_recovers_from_a_wrong_bisection_step():
    """An outlier at the first step sends the bisection into the wrong half; the line
    through the final probes points back, and probes there find the crossing."""
    calls = []

    def measure(v):
        r = 0.2 * v.astype(float)
        if not calls:
            r[:5] = 1000.0                                 # outliers: "far above the target"
        calls.append(1)
        return r
    found = NoisyBinarySearch(seed=1).search(measure, np.full(N, 150.0))
    assert np.all(found.values == 750), "0.2 * 750 = 150 for every entry, the 5 derailed ones too"
