"""Instrument drivers against the bundled pyvisa-sim bench (real pyvisa stack)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import yaml

from bss2_experiments.instruments import (InstrumentCommandError, InstrumentConnectionError, InstrumentTimeoutError,
                                          Oscilloscope, PowerAnalyser, WrongInstrumentError)
from bss2_experiments.instruments.board_monitors import INA219_SAMPLE_INTERVAL_S, open_board_monitors
from bss2_experiments.instruments.simulation import (SIM_OSCILLOSCOPE, SIM_POWER_ANALYSER, SimulatedBench,
                                                     definitions_path, simulated_resource_manager)


@pytest.fixture
def rm():
    manager = simulated_resource_manager()
    yield manager
    manager.close()


def hanging_scope_definitions(tmp_path) -> str:
    """The bundled bench, except that the scope never answers the delay query."""
    spec = yaml.safe_load(open(definitions_path()))
    scope = spec["devices"]["oscilloscope"]
    scope["properties"]["delay"]["getter"]["q"] = "SIM:DEL?"
    scope["dialogues"].append({"q": ":MEAS:DEL? CHAN1,CHAN2"})     # no reply: the read times out
    path = tmp_path / "hanging_scope.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


@pytest.mark.filterwarnings("ignore:read string doesn.t end with termination characters")
def test_identification_and_wrong_model(rm):
    analyser = PowerAnalyser(SIM_POWER_ANALYSER, rm, timeout_s=1)
    scope = Oscilloscope(SIM_OSCILLOSCOPE, rm, timeout_s=1)
    assert analyser.identity.model == "N6705C" and analyser.identity.manufacturer == "Keysight Technologies"
    assert scope.identity.model == "DSOX3034T"
    assert analyser.name == f"DC power analyser N6705C at {SIM_POWER_ANALYSER}"
    with pytest.raises(WrongInstrumentError) as wrong:
        PowerAnalyser(SIM_OSCILLOSCOPE, rm)
    message = str(wrong.value)
    assert "N6705B, N6705C" in message and "DSOX3034T" in message and SIM_OSCILLOSCOPE in message
    assert "--power-resource" in message
    with pytest.raises(WrongInstrumentError, match="DSOX3034T, DSOX3054T"):
        Oscilloscope(SIM_POWER_ANALYSER, rm)
    with pytest.raises(InstrumentConnectionError, match="--power-resource"):
        PowerAnalyser("TCPIP::nowhere.sim::INSTR", rm)


def test_measurements_are_parsed_and_a_refused_command_leaves_the_link_in_sync(rm):
    analyser = PowerAnalyser(SIM_POWER_ANALYSER, rm, timeout_s=1)
    analyser.set_voltage(1.25)
    analyser.set_current_limit(0.5)
    analyser.set_output(True)
    analyser.write(f"SIM:CURR 2.000000E-01,{analyser.channel}", "test")
    assert analyser.measure_voltage_volt() == 1.25
    assert analyser.measure_current_amp() == 0.2
    assert analyser.measure_power_watt() == pytest.approx(0.25, rel=1e-12)
    assert analyser.query_float(f"CURR:LIM? {analyser.channel}", "test") == 0.5
    with pytest.raises(InstrumentCommandError, match="refused 'VOLT 9.000000E"):
        analyser.set_voltage(9.0)                      # outside the simulated 0..6 V
    assert analyser.measure_voltage_volt() == 1.25     # the error reply was flushed
    with pytest.raises(InstrumentCommandError, match="expected a number"):
        analyser.query_float("*IDN?", "test")


def test_datalog_retrieval(rm):
    analyser = PowerAnalyser(SIM_POWER_ANALYSER, rm, timeout_s=1)
    analyser.set_voltage(1.2)
    interval_s = analyser.configure_datalog(20.48e-6, 8, pretrigger_samples=2)
    assert interval_s == 20.48e-6
    power_watt = np.array([0.15, 0.15, 0.2, 0.25, 0.2, 0.15, 0.15, 0.15])
    SimulatedBench(analyser, None).feed_power(power_watt)
    analyser.start_datalog()
    analyser.trigger_datalog()
    trace = analyser.fetch_datalog()
    np.testing.assert_allclose(trace.time_s, (np.arange(8) - 2) * 20.48e-6)
    np.testing.assert_allclose(trace.voltage_volt, 1.2)
    np.testing.assert_allclose(trace.power_watt, power_watt, rtol=1e-8)
    with pytest.raises(ValueError, match="trigger_source"):
        analyser.configure_datalog(20.48e-6, 8, trigger_source="IMM")


def test_scope_delay_waveform_and_missing_spike(rm):
    scope = Oscilloscope(SIM_OSCILLOSCOPE, rm, timeout_s=1)
    bench = SimulatedBench(None, scope)
    scope.configure_trigger(0.6)
    assert scope.query(":TRIG:EDGE:SOUR?", "test") == "CHAN1"
    bench.feed_latency(11.25e-6)
    scope.arm_single()
    scope.wait_triggered()
    assert scope.measure_delay_s() == pytest.approx(11.25e-6, rel=1e-9)
    waveform = scope.fetch_waveform()                  # ASCII with an IEEE #8 block header
    assert waveform.channel == 2 and waveform.volt.size == 4000
    assert waveform.time_s[0] == pytest.approx(-2e-6)
    assert waveform.time_s[np.argmax(waveform.volt > 0.6)] == pytest.approx(11.25e-6, abs=1e-8)
    bench.feed_latency(float("nan"))                   # no output spike: the scope answers 9.9E+37
    assert np.isnan(scope.measure_delay_s())


def test_timeout_is_retried_once_then_names_instrument_and_action(tmp_path):
    rm = simulated_resource_manager(hanging_scope_definitions(tmp_path))
    scope = Oscilloscope(SIM_OSCILLOSCOPE, rm, timeout_s=0.2)
    start = time.monotonic()
    with pytest.raises(InstrumentTimeoutError) as stop:
        scope.measure_delay_s()
    assert time.monotonic() - start >= 0.4             # two attempts of 0.2 s
    assert stop.value.instrument == f"oscilloscope DSOX3034T at {SIM_OSCILLOSCOPE}"
    assert stop.value.action == "measuring the marker-to-spike delay"
    assert "retried once" in str(stop.value)
    assert scope.identify().model == "DSOX3034T"       # still usable afterwards
    rm.close()


def test_board_monitors_emulator_and_hardware_stub():
    monitors = open_board_monitors("emulator")
    assert monitors.configure_datalog(1e-5, 4, 1) == INA219_SAMPLE_INTERVAL_S
    monitors.start_datalog()
    monitors.feed_power(np.array([0.1, 0.2, 0.2, 0.1]))
    trace = monitors.fetch_datalog()
    np.testing.assert_allclose(trace.power_watt, [0.1, 0.2, 0.2, 0.1])
    np.testing.assert_allclose(trace.time_s, (np.arange(4) - 1) * INA219_SAMPLE_INTERVAL_S)
    with pytest.raises(InstrumentConnectionError, match="pynn_brainscales.*INA219StatusOnBoard.*--power-resource"):
        open_board_monitors("hardware")
