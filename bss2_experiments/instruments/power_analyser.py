"""DC power analyser / source-measure unit on the chip's supply rail.

Commands follow the Keysight N6700 series programming guide for an N6705 mainframe with an
SMU module (e.g. N6781A) in channel ``channel``: ``VOLT``, ``CURR:LIM``, ``OUTP``,
``MEAS:VOLT?``, ``MEAS:CURR?``, and the triggered array acquisition (the digitiser, called
datalog here): ``SENS:SWE:TINT`` (sample interval), ``SENS:SWE:POIN`` (samples),
``SENS:SWE:OFFS:POIN`` (negative = samples before the trigger), ``TRIG:ACQ:SOUR``,
``INIT:ACQ``, ``TRIG:ACQ``, ``FETC:ARR:VOLT?`` / ``FETC:ARR:CURR?``. Each sample is the
average over its interval, so the sum of power x interval is the energy. Verify the command
set against the mainframe's firmware before a bench run.
"""
from __future__ import annotations

import numpy as np
import pyvisa

from .errors import InstrumentCommandError
from .scpi import ScpiInstrument, nr3
from .traces import PowerTrace


class PowerAnalyser(ScpiInstrument):
    """One output channel of a DC power analyser (V, A, W, s)."""

    KIND = "DC power analyser"
    SUPPORTED_MODELS = ("N6705B", "N6705C")
    OPTION = "--power-resource"
    TRIGGER_SOURCES = ("BUS", "EXT")

    def __init__(self, address: str, resource_manager: pyvisa.ResourceManager | None = None,
                 timeout_s: float = 5.0, channel: int = 1):
        self.channel = f"(@{int(channel)})"
        super().__init__(address, resource_manager, timeout_s)
        self._pretrigger_samples = 0

    def set_voltage(self, voltage_volt: float) -> None:
        self.write(f"VOLT {nr3(voltage_volt)},{self.channel}", f"setting the output to {voltage_volt} V")

    def set_current_limit(self, current_amp: float) -> None:
        self.write(f"CURR:LIM {nr3(current_amp)},{self.channel}", f"setting the current limit to {current_amp} A")

    def set_output(self, on: bool) -> None:
        self.write(f"OUTP {int(on)},{self.channel}", f"switching the output {'on' if on else 'off'}")

    def measure_voltage_volt(self) -> float:
        return self.query_float(f"MEAS:VOLT? {self.channel}", "measuring the voltage")

    def measure_current_amp(self) -> float:
        return self.query_float(f"MEAS:CURR? {self.channel}", "measuring the current")

    def measure_power_watt(self) -> float:
        """Voltage x current, measured one after the other (W)."""
        return self.measure_voltage_volt() * self.measure_current_amp()

    def configure_datalog(self, sample_interval_s: float, n_samples: int, pretrigger_samples: int = 0,
                          trigger_source: str = "BUS") -> float:
        """Set up a triggered record of ``n_samples``, ``pretrigger_samples`` of them
        before the trigger; ``trigger_source`` BUS (:meth:`trigger_datalog`) or EXT (the
        trigger input, e.g. the FPGA's marker). Returns the sample interval the instrument
        uses (s)."""
        if trigger_source not in self.TRIGGER_SOURCES:
            raise ValueError(f"trigger_source must be one of {self.TRIGGER_SOURCES}, got {trigger_source!r}")
        if not 0 <= pretrigger_samples < n_samples:
            raise ValueError(f"pretrigger_samples = {pretrigger_samples} must lie in 0..n_samples - 1")
        action = "configuring the datalog"
        self.write(f"SENS:SWE:TINT {nr3(sample_interval_s)},{self.channel}", action)
        self.write(f"SENS:SWE:POIN {int(n_samples)},{self.channel}", action)
        self.write(f"SENS:SWE:OFFS:POIN {-int(pretrigger_samples)},{self.channel}", action)
        self.write(f"TRIG:ACQ:SOUR {trigger_source},{self.channel}", action)
        self._pretrigger_samples = int(pretrigger_samples)
        return self.query_float(f"SENS:SWE:TINT? {self.channel}", action)

    def start_datalog(self) -> None:
        """Arm the acquisition: it records from now and waits for the trigger."""
        self.write(f"INIT:ACQ {self.channel}", "starting the datalog")

    def trigger_datalog(self) -> None:
        """Trigger the armed acquisition (BUS trigger source)."""
        self.write(f"TRIG:ACQ {self.channel}", "triggering the datalog")

    def fetch_datalog(self) -> PowerTrace:
        """The record of the last acquisition (waits for it to complete)."""
        action = "fetching the datalog"
        interval_s = self.query_float(f"SENS:SWE:TINT? {self.channel}", action)
        voltage = self.query_floats(f"FETC:ARR:VOLT? {self.channel}", action)
        current = self.query_floats(f"FETC:ARR:CURR? {self.channel}", action)
        if voltage.size != current.size:
            raise InstrumentCommandError(
                f"{self.name} returned {voltage.size} voltage but {current.size} current samples while {action}; "
                f"fetch again after the acquisition has completed", self.name, action)
        time_s = (np.arange(voltage.size) - self._pretrigger_samples) * interval_s
        return PowerTrace(time_s, voltage, current, interval_s)
