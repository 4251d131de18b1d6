"""The board's own power monitors, read through the backend.

On BrainScaleS-2 the chip's power is read from the carrier board's INA219 current/voltage
monitors (fastAndDeep ``fd_backend.py``: every ``INA219ConfigOnBoard`` set to
``bits12_samples8``, ``INA219StatusOnBoard`` read in the playback program, power summed
over the monitors; Goeltz et al. 2021, Renner et al. 2024). This is how the published
175 mW were measured.

* Emulator backend: :class:`EmulatorBoardMonitors` reports the energy model's power (fed by
  the protocol through :meth:`~EmulatorBoardMonitors.feed_power`) as one summed rail, sampled
  like the INA219s (12 bit, 8 averaged samples: 8 x 532 us = 4.256 ms per sample, INA219
  datasheet).
* Hardware backend: :func:`open_board_monitors` raises an error naming what is missing.
"""
from __future__ import annotations

import numpy as np

from .errors import InstrumentConnectionError, InstrumentError
from .traces import PowerTrace

INA219_SAMPLE_INTERVAL_S = 8 * 532e-6
"""12-bit conversion (532 us) averaged over 8 samples (``bits12_samples8``)."""
RAIL_VOLTAGE_VOLT = 1.2
"""Voltage the summed rail is reported at (the model knows power only)."""


class EmulatorBoardMonitors:
    """The emulator's board monitors: a datalog of the energy model's power (W, s)."""

    name = "board power monitors (emulator: energy model)"

    def __init__(self):
        self._n_samples, self._pretrigger_samples = 0, 0
        self._power_watt: np.ndarray | None = None

    def configure_datalog(self, sample_interval_s: float, n_samples: int, pretrigger_samples: int = 0,
                          trigger_source: str = "BUS") -> float:
        """Record ``n_samples`` (``pretrigger_samples`` before the trigger); the INA219s
        sample at their own interval, which is returned (s)."""
        self._n_samples, self._pretrigger_samples = int(n_samples), int(pretrigger_samples)
        return INA219_SAMPLE_INTERVAL_S

    def start_datalog(self) -> None:
        self._power_watt = None

    def trigger_datalog(self) -> None:
        """The record's time 0 is the start of the inferences (nothing to do)."""

    def feed_power(self, power_watt: np.ndarray) -> None:
        """The modelled power of the record being taken (W per sample)."""
        self._power_watt = np.asarray(power_watt, float)

    def feed_latency(self, latency_s: float) -> None:
        """The monitors measure no latency."""

    def fetch_datalog(self) -> PowerTrace:
        if self._power_watt is None or self._power_watt.size != self._n_samples:
            raise InstrumentError(f"{self.name}: no modelled power for this record; the protocol feeds it "
                                  f"before fetching", self.name, "fetching the datalog")
        time_s = (np.arange(self._n_samples) - self._pretrigger_samples) * INA219_SAMPLE_INTERVAL_S
        return PowerTrace(time_s, np.full(self._n_samples, RAIL_VOLTAGE_VOLT), self._power_watt / RAIL_VOLTAGE_VOLT,
                          INA219_SAMPLE_INTERVAL_S)


def open_board_monitors(backend: str) -> EmulatorBoardMonitors:
    """The board monitors of ``backend`` ("emulator"; "hardware" is not available yet)."""
    if backend == "emulator":
        return EmulatorBoardMonitors()
    if backend == "hardware":
        raise InstrumentConnectionError(
            "reading the BrainScaleS-2 board's INA219 power monitors needs the hardware stack (pynn_brainscales "
            "with haldls/halco: INA219ConfigOnBoard, INA219StatusOnBoard in a playback program, as fastAndDeep's "
            "fd_backend.py does) and a hardware adapter of the chip interface, which this suite does not have "
            "yet; measure with an external power analyser (--power-resource VISA_ADDRESS) instead",
            "board power monitors (hardware)", "opening")
    raise ValueError(f"unknown backend {backend!r}; choose 'emulator' or 'hardware'")
