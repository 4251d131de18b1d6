"""Statistics of values across neurons."""
from __future__ import annotations

import numpy as np

TRIM = 0.01
"""Fraction cut at each end before taking a spread (calix' hardware tests use trimmed statistics)."""


def spread(values: np.ndarray) -> float:
    """Trimmed standard deviation across neurons (non-finite values count as outliers)."""
    values = np.asarray(values, dtype=float)
    finite = np.sort(values[np.isfinite(values)])
    cut = int(TRIM * values.size)
    kept = finite[cut:max(finite.size - cut, cut)]
    return float(np.std(kept, ddof=1)) if kept.size > 1 else float("nan")
