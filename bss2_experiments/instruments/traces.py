"""What the instruments return: a logged power record and an oscilloscope waveform."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PowerTrace:
    """A datalog record: sample ``k`` is the average over
    ``[time_s[k], time_s[k] + sample_interval_s)``; time 0 is the trigger."""

    time_s: np.ndarray
    voltage_volt: np.ndarray
    current_amp: np.ndarray
    sample_interval_s: float

    @property
    def power_watt(self) -> np.ndarray:
        """Power per sample (W) = voltage x current."""
        return self.voltage_volt * self.current_amp


@dataclass(frozen=True)
class Waveform:
    """One oscilloscope channel: ``volt[k]`` at ``time_s[k]`` (time 0 is the trigger)."""

    channel: int
    time_s: np.ndarray
    volt: np.ndarray
