"""The simulated bench: the bundled pyvisa-sim definitions and the injection of modelled
values into them.

``bss2 energy --simulated`` runs the real pyvisa stack against
``instruments/sim/bench.yaml`` (package data). pyvisa-sim answers static values unless a
setter changes them, so before each read the protocol hands the energy model's values to
:class:`SimulatedBench`, which writes them through the definitions' ``SIM:*`` setters:

* ``SIM:ARR:VOLT`` / ``SIM:ARR:CURR``: the datalog record (the model's power trace at the
  set voltage, :func:`bss2_experiments.energy_model.power_trace_watt`), and ``SIM:CURR``
  for the instantaneous current;
* ``SIM:DEL``: the marker-to-spike delay of the inference just run;
* ``SIM:WAV``: the spike-channel waveform (a 1 us, 1.2 V pulse at that delay).

The measured numbers then follow the model through the whole instrument path (datalog
sampling, parsing, baseline subtraction, integration).
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pyvisa

from .oscilloscope import NO_MEASUREMENT, Oscilloscope
from .power_analyser import PowerAnalyser
from .scpi import nr3

SIM_POWER_ANALYSER = "TCPIP::analyser.sim::INSTR"
SIM_OSCILLOSCOPE = "TCPIP::scope.sim::INSTR"
SPIKE_PULSE_VOLT = 1.2
SPIKE_PULSE_WIDTH_S = 1e-6
WAVEFORM_SAMPLES = 4000


def definitions_path() -> str:
    """File system path of the bundled definitions (``instruments/sim/bench.yaml``)."""
    return str(resources.files(__package__) / "sim" / "bench.yaml")


def simulated_resource_manager(definitions: str | None = None) -> pyvisa.ResourceManager:
    """A pyvisa resource manager over pyvisa-sim with ``definitions`` (default: the bundled ones)."""
    return pyvisa.ResourceManager(f"{definitions or definitions_path()}@sim")


def _csv(values: np.ndarray) -> str:
    return ",".join(f"{v:.9E}" for v in np.asarray(values, float))


class SimulatedBench:
    """Writes modelled values into simulated instruments (either may be None)."""

    def __init__(self, analyser: PowerAnalyser | None, scope: Oscilloscope | None):
        self.analyser, self.scope = analyser, scope

    def feed_power(self, power_watt: np.ndarray) -> None:
        """Make the analyser's next datalog record ``power_watt`` (W per sample) at its
        measured output voltage."""
        if self.analyser is None:
            return
        voltage_volt = self.analyser.measure_voltage_volt()
        current_amp = np.asarray(power_watt, float) / voltage_volt
        action = "loading the simulated datalog"
        self.analyser.write(f"SIM:ARR:VOLT {_csv(np.full(current_amp.size, voltage_volt))}", action)
        self.analyser.write(f"SIM:ARR:CURR {_csv(current_amp)}", action)
        self.analyser.write(f"SIM:CURR {nr3(current_amp.mean())},{self.analyser.channel}", action)

    def feed_latency(self, latency_s: float) -> None:
        """Make the scope's next delay reading and spike waveform show ``latency_s`` (NaN: no spike)."""
        if self.scope is None:
            return
        action = "loading the simulated delay"
        self.scope.write(f"SIM:DEL {nr3(NO_MEASUREMENT if np.isnan(latency_s) else latency_s)}", action)
        increment_s = self.scope.query_float(":WAV:XINC?", action)
        origin_s = self.scope.query_float(":WAV:XOR?", action)
        time_s = origin_s + increment_s * np.arange(WAVEFORM_SAMPLES)
        volt = np.where((time_s >= latency_s) & (time_s < latency_s + SPIKE_PULSE_WIDTH_S), SPIKE_PULSE_VOLT, 0.0)
        data = ",".join("1.2" if v else "0.0" for v in volt)
        self.scope.write(f"SIM:WAV #8{len(data):08d}{data}", action)
