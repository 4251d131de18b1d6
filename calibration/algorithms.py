"""Search algorithms: find, for every neuron at once, the parameter that hits a target.

The shapes follow calix (Electronic Visions, github electronicvisions/calix,
``common/algorithms.py``): a search gets a function that configures a whole array of
integer parameters and measures one result per entry, and returns the best parameter per
entry. Facts carried over from calix:

* :class:`BinarySearch` over the 10-bit CapMem range 0..1022 needs ceil(log2(1023)) = 10
  bisection steps plus 2 probes around the final value, 12 measurements in all, and keeps
  the best of the last 3; a neuron whose best value sits at the range boundary with the
  target still out of reach is flagged as failed.
* :class:`NoisyBinarySearch` starts each neuron at a randomly shifted midpoint (+-5 by
  default) so that not all CapMem cells hold the same value, takes one more step and
  considers more of the last steps when picking the best.
* :class:`LinearPrediction` probes once and steps to the target along a known slope
  (calix uses it for digital offsets such as the CADC channel offsets).

All arrays may have any shape (e.g. (512,) or (2, 512) for two searches in lockstep).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC

Measure = Callable[[np.ndarray], np.ndarray]
"""Configure integer parameters (any shape) and return one measured float per entry."""


@dataclass
class SearchResult:
    """Outcome of a search: ``values`` (int), the ``results`` measured at them, per-entry
    ``success`` and the number of measurements taken."""

    values: np.ndarray
    results: np.ndarray
    success: np.ndarray
    n_measurements: int


def _bounds(low, high, shape) -> tuple[np.ndarray, np.ndarray]:
    lo = np.broadcast_to(np.asarray(low, dtype=np.int64), shape).copy()
    hi = np.broadcast_to(np.asarray(high, dtype=np.int64), shape).copy()
    if (lo > hi).any():
        raise ValueError("search bounds need low <= high for every entry")
    return lo, hi


def _reached(values, results, target, sign, lo, hi) -> np.ndarray:
    """False where the best value sits on a boundary and the target is still beyond it."""
    below = sign * (results - target) < 0
    above = sign * (results - target) > 0
    stuck = ((values >= hi) & below) | ((values <= lo) & above)
    return np.isfinite(results) & ~stuck


class BinarySearch:
    """Vectorised bisection over integer parameters in ``low..high`` (per entry).

    ``measure`` must be monotonic in the parameter: increasing, or decreasing when
    ``inverted``. After bisection it probes ``probe_offsets`` around the final value and
    returns, per entry, the measured value closest to the target among the last
    ``keep_last`` measurements.
    """

    probe_offsets: tuple[int, ...] = (-1, 0)
    keep_last: int = 3

    def __init__(self, low: int | np.ndarray = 0, high: int | np.ndarray = CAPMEM_MAX_DAC):
        self.low = low
        self.high = high

    def _first_midpoint(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a + b) // 2

    def search(self, measure: Measure, target: float | np.ndarray, *, inverted: bool = False,
               low: int | np.ndarray | None = None, high: int | np.ndarray | None = None,
               shape: tuple[int, ...] | None = None) -> SearchResult:
        """Search ``measure`` for ``target`` (broadcast to ``shape``, default the target's shape)."""
        target = np.asarray(target, dtype=float)
        shape = tuple(shape) if shape is not None else target.shape
        target = np.broadcast_to(target, shape)
        lo, hi = _bounds(self.low if low is None else low, self.high if high is None else high, shape)
        sign = -1.0 if inverted else 1.0
        a, b = lo.copy(), hi.copy()
        history: list[tuple[np.ndarray, np.ndarray]] = []
        middle = self._first_midpoint(a, b)
        max_steps = int(np.ceil(np.log2(np.max(hi - lo) + 1))) + 2
        for _ in range(max_steps):
            if not (a < b).any():
                break
            m = np.clip(middle, a, np.maximum(b - 1, a))
            r = np.asarray(measure(m), dtype=float)
            history.append((m, r))
            below = sign * (r - target) < 0          # NaN counts as "above": step down
            active = a < b
            a = np.where(active & below, m + 1, a)
            b = np.where(active & ~below, m, b)
            middle = (a + b) // 2
        self._probe(measure, history, a, lo, hi)
        values, results = self._finish(measure, history, target, sign, lo, hi)
        return SearchResult(values, results, _reached(values, results, target, sign, lo, hi), len(history))

    def _probe(self, measure: Measure, history: list, centre: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        for offset in self.probe_offsets:
            m = np.clip(centre + offset, lo, hi)
            history.append((m, np.asarray(measure(m), dtype=float)))

    def _finish(self, measure: Measure, history: list, target, sign: float, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        """Per entry, the measurement closest to the target among the last ``keep_last``."""
        values = np.stack([h[0] for h in history[-self.keep_last:]])
        results = np.stack([h[1] for h in history[-self.keep_last:]])
        deviation = np.where(np.isfinite(results), np.abs(results - target), np.inf)
        return _pick(values, results, np.argmin(deviation, axis=0))


def _pick(values: np.ndarray, results: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pick = index[None]
    return (np.take_along_axis(values, pick, 0)[0].astype(np.int64),
            np.take_along_axis(results, pick, 0)[0])


class NoisyBinarySearch(BinarySearch):
    """:class:`BinarySearch` with randomly shifted starting points (``noise_amplitude``,
    integer, uniform) so CapMem cells spread, one more probe and a wider choice of the best.

    With noisy measurements the single closest reading is not the best choice when the
    noise is comparable to one parameter step: the three probes around the final value are
    fitted with a straight line, and the probe nearest to the line's crossing of the target
    is chosen (falling back to the closest reading where the fitted slope has the wrong sign).
    Where that crossing lies outside the probes (a noisy bisection step went the wrong
    way), three more probes are taken around the predicted crossing and the line is fitted
    to all six.
    """

    probe_offsets = (-1, 0, 1)
    keep_last = 5

    def __init__(self, low: int | np.ndarray = 0, high: int | np.ndarray = CAPMEM_MAX_DAC,
                 noise_amplitude: int = 5, seed: int = 0):
        super().__init__(low, high)
        self.noise_amplitude = noise_amplitude
        self.rng = np.random.default_rng(seed)

    def _first_midpoint(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        jitter = self.rng.integers(-self.noise_amplitude, self.noise_amplitude + 1, a.shape)
        return (a + b) // 2 + jitter

    def _finish(self, measure: Measure, history: list, target, sign: float, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        closest = super()._finish(measure, history, target, sign, lo, hi)
        probes = len(self.probe_offsets)
        chosen, crossing, outside = self._line_pick(history[-probes:], target, sign, closest)
        if outside.any():
            centre = np.where(outside, np.clip(np.rint(np.nan_to_num(crossing)), lo, hi), chosen[0])
            self._probe(measure, history, centre.astype(np.int64), lo, hi)
            chosen, _, _ = self._line_pick(history[-2 * probes:], target, sign, closest)
        return chosen

    @staticmethod
    def _line_pick(history, target, sign: float, fallback):
        """Fit result = line(value) per entry through ``history``; return the measured
        (value, result) nearest to the line's crossing of the target, the crossing, and
        where it lies outside the probed values."""
        values = np.stack([h[0] for h in history]).astype(float)
        results = np.stack([h[1] for h in history])
        dv = values - values.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (dv * (results - results.mean(axis=0))).sum(axis=0) / (dv * dv).sum(axis=0)
            crossing = values.mean(axis=0) + (target - results.mean(axis=0)) / slope
        usable = np.isfinite(crossing) & (sign * slope > 0) & np.isfinite(results).all(axis=0)
        nearest = np.argmin(np.abs(values - np.where(usable, crossing, 0.0)), axis=0)
        line_values, line_results = _pick(values, results, nearest)
        chosen = (np.where(usable, line_values, fallback[0]).astype(np.int64),
                  np.where(usable, line_results, fallback[1]))
        outside = usable & ((crossing < values.min(axis=0) - 0.5) | (crossing > values.max(axis=0) + 0.5))
        return chosen, crossing, outside


class LinearPrediction:
    """One probe at ``probe``, then a step to the target along ``slope`` (result units per
    parameter unit), and a verification measurement. For parameters whose effect is known
    to be linear, e.g. digital offsets that add to a readout."""

    def __init__(self, probe: int, slope: float, low: int, high: int):
        self.probe, self.slope, self.low, self.high = probe, slope, low, high

    def search(self, measure: Measure, target: float | np.ndarray, *, inverted: bool = False,
               shape: tuple[int, ...] | None = None, **_bounds_ignored) -> SearchResult:
        target = np.asarray(target, dtype=float)
        shape = tuple(shape) if shape is not None else target.shape
        target = np.broadcast_to(target, shape)
        first = np.asarray(measure(np.full(shape, self.probe, dtype=np.int64)), dtype=float)
        wanted = np.rint(self.probe + (target - first) / self.slope)
        values = np.clip(np.nan_to_num(wanted, nan=self.probe), self.low, self.high).astype(np.int64)
        results = np.asarray(measure(values), dtype=float)
        success = np.isfinite(results) & (wanted >= self.low) & (wanted <= self.high)
        return SearchResult(values, results, success, 2)


class PowerLawSearch:
    """Secant steps on ``log(result)`` over ``log(parameter)``, for parameters that set a
    result through a power law (a bias current and the time constant it sets: ``tau ~
    1 / I_bias`` in the ideal circuit, a slightly different exponent per neuron on a real
    one). Probes at the two ``probes`` values, then ``steps`` secant steps through the
    two latest measurements; returns, per entry, the measurement closest to the target
    (``2 + steps`` measurements in all). For expensive measurements (two neurons per run
    on the MADC), where :class:`BinarySearch`'s 12 would cost too much."""

    def __init__(self, probes: tuple[int, int] = (256, 768), steps: int = 2,
                 low: int | np.ndarray = 1, high: int | np.ndarray = CAPMEM_MAX_DAC):
        self.probes, self.steps, self.low, self.high = probes, steps, low, high

    def search(self, measure: Measure, target: float | np.ndarray, *, inverted: bool = False,
               low: int | np.ndarray | None = None, high: int | np.ndarray | None = None,
               shape: tuple[int, ...] | None = None) -> SearchResult:
        target = np.asarray(target, dtype=float)
        shape = tuple(shape) if shape is not None else target.shape
        target = np.broadcast_to(target, shape)
        lo, hi = _bounds(self.low if low is None else low, self.high if high is None else high, shape)
        lo = np.maximum(lo, 1)
        history = []
        for p in self.probes:
            m = np.clip(np.full(shape, p, dtype=np.int64), lo, hi)
            history.append((m, np.asarray(measure(m), dtype=float)))
        for _ in range(self.steps):
            (x0, r0), (x1, r1) = history[-2], history[-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (np.log(r1) - np.log(r0)) / (np.log(x1) - np.log(x0))
                wanted = np.exp(np.log(x1) + (np.log(target) - np.log(r1)) / slope)
            usable = np.isfinite(wanted) & (slope != 0)
            m = np.clip(np.rint(np.where(usable, wanted, x1)), lo, hi).astype(np.int64)
            m = np.where(m == x1, np.clip(m + np.where(m < hi, 1, -1), lo, hi), m)
            history.append((m, np.asarray(measure(m), dtype=float)))
        values = np.stack([h[0] for h in history])
        results = np.stack([h[1] for h in history])
        deviation = np.where(np.isfinite(results), np.abs(results - target), np.inf)
        values, results = _pick(values, results, np.argmin(deviation, axis=0))
        sign = -1.0 if inverted else 1.0
        return SearchResult(values, results, _reached(values, results, target, sign, lo, hi), len(history))
