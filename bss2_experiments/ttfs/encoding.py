"""Time-to-first-spike input encoding (Goeltz et al., Nat. Mach. Intell. 3:823 (2021)).

A feature ``x`` in [0, 1] becomes one spike at ``t = t_early + x (t_late - t_early)``
(units of tau_s; Yin-Yang: 0.15 and 2.0 tau_s). With ``late_is_silent`` (images) a
feature of exactly 1 (background) sends no spike. ``repeat`` copies every input spike
(BrainScaleS-2 Yin-Yang: x5) so that one input can drive the chip through several
synapses.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Encoding:
    t_early: float = 0.15
    """Spike time of feature 0 (tau_s)."""
    t_late: float = 2.0
    """Spike time of feature 1 (tau_s)."""
    late_is_silent: bool = False
    repeat: int = 1

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Features (n_samples, n_features) in [0, 1] -> spike times (n_samples,
        n_features * repeat) in tau_s (copies of a feature are adjacent); ``inf`` = no spike."""
        x = np.asarray(x, dtype=float)
        t = self.t_early + x * (self.t_late - self.t_early)
        if self.late_is_silent:
            t = np.where(x >= 1.0, np.inf, t)
        return np.repeat(t, self.repeat, axis=1) if self.repeat > 1 else t
