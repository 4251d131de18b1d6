"""Oscilloscope for latency: trigger on the input marker, measure the delay to the output
spike's edge, fetch a waveform.

Commands follow the Keysight InfiniiVision 3000T X-series programming guide:
``:TRIG:EDGE:SOUR/LEV/SLOP``, ``:SING``, ``:TER?`` (trigger event register),
``:MEAS:DEL? CHAN<a>,CHAN<b>`` (delay between the edges of two channels) and
``:WAV:SOUR/FORM/XINC?/XOR?/DATA?``. The setup wires a marker the FPGA emits with an
inference's first input event to ``marker_channel`` and a digital line that follows the
output-layer spikes to ``spike_channel``.
"""
from __future__ import annotations

import time

import numpy as np
import pyvisa

from .errors import InstrumentTimeoutError
from .scpi import ScpiInstrument, nr3
from .traces import Waveform

NO_MEASUREMENT = 9.9e37
"""What InfiniiVision scopes answer for a measurement they could not make."""


class Oscilloscope(ScpiInstrument):
    """Delay measurements between two channels (s, V)."""

    KIND = "oscilloscope"
    SUPPORTED_MODELS = ("DSOX3034T", "DSOX3054T", "MSOX3034T", "MSOX3054T")
    OPTION = "--scope-resource"

    def __init__(self, address: str, resource_manager: pyvisa.ResourceManager | None = None,
                 timeout_s: float = 5.0, marker_channel: int = 1, spike_channel: int = 2):
        super().__init__(address, resource_manager, timeout_s)
        self.marker_channel, self.spike_channel = int(marker_channel), int(spike_channel)

    def configure_trigger(self, level_volt: float = 0.6) -> None:
        """Edge trigger on the rising edge of the marker channel at ``level_volt``."""
        action = "configuring the trigger"
        self.write(":TRIG:MODE EDGE", action)
        self.write(f":TRIG:EDGE:SOUR CHAN{self.marker_channel}", action)
        self.write(f":TRIG:EDGE:LEV {nr3(level_volt)}", action)
        self.write(":TRIG:EDGE:SLOP POS", action)

    def arm_single(self) -> None:
        """Arm one acquisition; the next marker edge triggers it."""
        self.write(":SING", "arming a single acquisition")

    def wait_triggered(self, timeout_s: float = 1.0, poll_s: float = 0.005) -> None:
        """Wait until the armed acquisition has triggered (``:TER?`` = 1)."""
        deadline = time.monotonic() + timeout_s
        while int(self.query_float(":TER?", "waiting for the marker trigger")) != 1:
            if time.monotonic() > deadline:
                raise InstrumentTimeoutError(
                    f"{self.name} saw no marker edge on channel {self.marker_channel} within {timeout_s} s: check "
                    f"the marker cable and the trigger level", self.name, "waiting for the marker trigger")
            time.sleep(poll_s)

    def measure_delay_s(self) -> float:
        """Delay from the marker edge to the first spike edge (s); NaN if there was no spike edge."""
        delay = self.query_float(f":MEAS:DEL? CHAN{self.marker_channel},CHAN{self.spike_channel}",
                                 "measuring the marker-to-spike delay")
        return float("nan") if abs(delay) >= NO_MEASUREMENT else delay

    def fetch_waveform(self, channel: int | None = None) -> Waveform:
        """The last acquisition of ``channel`` (default: the spike channel) in volts."""
        channel = self.spike_channel if channel is None else int(channel)
        action = f"fetching the waveform of channel {channel}"
        self.write(f":WAV:SOUR CHAN{channel}", action)
        self.write(":WAV:FORM ASC", action)
        increment_s = self.query_float(":WAV:XINC?", action)
        origin_s = self.query_float(":WAV:XOR?", action)
        volt = self.query_floats(":WAV:DATA?", action)
        return Waveform(channel, origin_s + increment_s * np.arange(volt.size), volt)
