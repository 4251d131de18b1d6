"""The chip interface: what a BrainScaleS-2 chip is told and what it answers.

Everything above the chip (calibration, ``bss2_experiments.pynn``) talks to a chip only
through the types in this module and the :class:`Chip` protocol. The emulator implements
it; a hardware adapter would too.

Units at this level are hardware units only:

* time in **hardware microseconds** (``*_us``), events quantised to FPGA ticks of 8 ns;
* analog parameters as **CapMem DAC values** (``*_dac``, 10 bit, 0..1022);
* digital settings as the small integers of the hardware registers;
* readouts as **CADC LSB** (8 bit) and **MADC LSB** (10 bit).

Chip facts (sources in ``shared/notes/bss2_stack.md``): 512 neurons in two hemispheres of
256 columns; each hemisphere has a 256 x 256 synapse array with 6-bit weights and 6-bit
address labels; the sign of a synapse is set per synapse-driver row; there are no delays.
Neuron ``n`` sits in hemisphere ``n // 256``, column ``n % 256``.
"""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ConfigurationError, ResourceError, StimulusError
from .units import FPGA_TICK_US, us_to_fpga_ticks

N_NEURONS = 512
N_HEMISPHERES = 2
N_COLUMNS = 256
"""Neurons (= synapse columns) per hemisphere."""
N_ROWS = 256
"""Synapse rows per hemisphere."""
N_QUADRANTS = 4
WEIGHT_MAX = 63
SYNAPSE_LABEL_MAX = 63
EVENT_LABEL_MAX = 2**14 - 1
"""Event labels are 14 bit (the neuron-label field of the 16-bit chip event)."""
CAPMEM_MAX_DAC = 1022
CADC_MAX_LSB = 255
MADC_MAX_LSB = 1023
MADC_SAMPLE_RATE_MHZ = 500.0 / 17.0
"""Default MADC rate: 500 MHz / (12 + 5) = 29.4 MSa/s (haldls ``madc.cpp``)."""
CADC_MIN_SAMPLE_PERIOD_US = 1.0 / 1.85
"""The CADC samples a channel at most at 1.85 MSa/s."""
REFRACTORY_CLOCK_MHZ = (25.0, 8.0)
"""Refractory counter clocks, fast and slow: 1 tick = 40 ns or 125 ns, so 8-bit counts
span 40 ns .. 32 us as calix documents. (The exact clock scalers are a design choice.)"""
INPUT_EVENTS_PER_TICK = 3
"""FPGA -> chip link: at most 3 spike events per 8 ns FPGA tick (1..3 spikes per packed
FPGA instruction, halco ``event.h``)."""
INPUT_FIFO_DEPTH_TICKS = 128
"""An input event may wait at most this many FPGA ticks (~1 us) for a free link slot;
later it is dropped and counted."""


def quadrant_of(neuron: np.ndarray | int):
    """Quadrant (0..3) of a neuron: 2 per hemisphere, 128 columns each."""
    n = np.asarray(neuron)
    return (n // N_COLUMNS) * 2 + (n % N_COLUMNS) // 128


class RowMode(enum.IntEnum):
    """Synapse-driver row mode: the sign of every synapse in that row."""

    DISABLED = 0
    EXCITATORY = 1
    INHIBITORY = 2


class MADCSource(enum.IntEnum):
    """What the MADC digitises for the selected neurons."""

    MEMBRANE = 0
    EXCITATORY_SYNIN = 1
    INHIBITORY_SYNIN = 2
    ADAPTATION = 3


def _dac(default: int, doc: str) -> np.ndarray:
    return field(
        default_factory=lambda: np.full(N_NEURONS, default, dtype=np.int32),
        metadata={"low": 0, "high": CAPMEM_MAX_DAC, "unit": "CapMem DAC", "doc": doc},
    )


def _digital(default: int, low: int, high: int, doc: str) -> np.ndarray:
    return field(
        default_factory=lambda: np.full(N_NEURONS, default, dtype=np.int32),
        metadata={"low": low, "high": high, "unit": "register", "doc": doc},
    )


def _flag(default: bool, doc: str) -> np.ndarray:
    return field(
        default_factory=lambda: np.full(N_NEURONS, default, dtype=bool),
        metadata={"low": 0, "high": 1, "unit": "bool", "doc": doc},
    )


@dataclass
class NeuronConfig:
    """Per-neuron configuration, every field an array of shape (512,).

    Names follow pynn_brainscales' flattened ``lola.AtomicNeuron`` view
    (``<circuit>_<parameter>``). Analog fields are CapMem DAC values (0..1022): what
    they mean physically differs per neuron (fixed-pattern noise), which is why
    ``calibration`` exists. The defaults are a neuron that leaks to a mid-range
    potential and never fires (threshold off, inputs off), as on a fresh chip.
    """

    leak_v_leak: np.ndarray = _dac(250, "leak potential")
    leak_i_bias: np.ndarray = _dac(300, "leak conductance bias (larger = shorter tau_m)")
    leak_enable_division: np.ndarray = _flag(False, "divide the leak conductance by 8 (long tau_m)")
    leak_enable_multiplication: np.ndarray = _flag(False, "multiply the leak conductance by 8 (short tau_m)")
    reset_v_reset: np.ndarray = _dac(220, "reset potential")
    reset_i_bias: np.ndarray = _dac(1000, "reset conductance bias")
    threshold_v_threshold: np.ndarray = _dac(400, "spike threshold potential")
    threshold_enable: np.ndarray = _flag(False, "spike comparator on")
    excitatory_input_enable: np.ndarray = _flag(False, "excitatory synaptic input on")
    excitatory_input_i_bias_tau: np.ndarray = _dac(30, "excitatory synaptic time-constant bias (larger = faster)")
    excitatory_input_i_bias_gm: np.ndarray = _dac(500, "excitatory synaptic input OTA strength")
    excitatory_input_enable_coba_mode: np.ndarray = _flag(False, "conductance-based excitatory input")
    excitatory_input_v_rev_coba: np.ndarray = _dac(800, "excitatory reversal potential (COBA)")
    inhibitory_input_enable: np.ndarray = _flag(False, "inhibitory synaptic input on")
    inhibitory_input_i_bias_tau: np.ndarray = _dac(30, "inhibitory synaptic time-constant bias (larger = faster)")
    inhibitory_input_i_bias_gm: np.ndarray = _dac(500, "inhibitory synaptic input OTA strength")
    inhibitory_input_enable_coba_mode: np.ndarray = _flag(False, "conductance-based inhibitory input")
    inhibitory_input_v_rev_coba: np.ndarray = _dac(50, "inhibitory reversal potential (COBA)")
    membrane_capacitance_capacitance: np.ndarray = _digital(63, 0, 63, "membrane capacitance, 63 = 2.2 pF")
    refractory_period_refractory_time: np.ndarray = _digital(40, 0, 255, "refractory counter ticks")
    refractory_period_input_clock: np.ndarray = _digital(1, 0, 1, "refractory clock: 0 fast (40 ns), 1 slow (125 ns)")
    refractory_period_reset_holdoff: np.ndarray = _digital(0, 0, 15, "ticks before the end of refractoriness at which the reset releases")
    adaptation_enable: np.ndarray = _flag(False, "adaptation current on")
    adaptation_invert_a: np.ndarray = _flag(False, "invert the sign of the subthreshold coupling a")
    adaptation_invert_b: np.ndarray = _flag(False, "invert the sign of the spike-triggered increment b")
    adaptation_v_ref: np.ndarray = _dac(250, "adaptation reference potential")
    adaptation_i_bias_tau: np.ndarray = _dac(100, "adaptation time-constant bias (larger = faster)")
    adaptation_i_bias_a: np.ndarray = _dac(0, "subthreshold adaptation coupling a")
    adaptation_i_bias_b: np.ndarray = _dac(0, "spike-triggered adaptation increment b")
    exponential_enable: np.ndarray = _flag(False, "exponential (AdEx) term on")
    exponential_v_exp: np.ndarray = _dac(450, "exponential onset potential V_T")
    exponential_i_bias: np.ndarray = _dac(0, "exponential term strength")
    constant_current_enable: np.ndarray = _flag(False, "constant current source on")
    constant_current_i_offset: np.ndarray = _dac(0, "constant current amplitude (into the membrane)")
    event_output_enable: np.ndarray = _flag(True, "neuron sends spike events to the routing")
    event_output_label: np.ndarray = _digital(-1, -1, EVENT_LABEL_MAX, "event label sent on a spike; -1 = neuron index")

    @classmethod
    def analog_fields(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.metadata["unit"] == "CapMem DAC"]

    def copy(self) -> "NeuronConfig":
        return NeuronConfig(**{f.name: getattr(self, f.name).copy() for f in dataclasses.fields(self)})

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = np.asarray(getattr(self, f.name))
            if value.shape != (N_NEURONS,):
                raise ConfigurationError(
                    f"NeuronConfig.{f.name} has shape {value.shape}; it needs one value per "
                    f"neuron, shape ({N_NEURONS},)")
            low, high = f.metadata["low"], f.metadata["high"]
            bad = np.flatnonzero((value < low) | (value > high))
            if bad.size:
                raise ConfigurationError(
                    f"NeuronConfig.{f.name} must lie in {low}..{high} ({f.metadata['unit']}); "
                    f"neuron {bad[0]} has {value[bad[0]]} ({bad.size} neurons out of range)")


def _synapse_array(dtype) -> np.ndarray:
    return field(default_factory=lambda: np.zeros((N_HEMISPHERES, N_ROWS, N_COLUMNS), dtype=dtype))


@dataclass
class SynapseConfig:
    """Synapse arrays of both hemispheres and their drivers.

    ``weights[h, row, col]`` (0..63) and ``labels[h, row, col]`` (0..63): a synapse
    passes an event arriving on its row when the event's 6-bit synapse label equals its
    own label, and then drives neuron ``h * 256 + col``. ``row_modes[h, row]`` sets the
    sign of the whole row (:class:`RowMode`).
    """

    weights: np.ndarray = _synapse_array(np.uint8)
    labels: np.ndarray = _synapse_array(np.uint8)
    row_modes: np.ndarray = field(default_factory=lambda: np.zeros((N_HEMISPHERES, N_ROWS), dtype=np.int8))

    def copy(self) -> "SynapseConfig":
        return SynapseConfig(self.weights.copy(), self.labels.copy(), self.row_modes.copy())

    def validate(self) -> None:
        for name, limit in (("weights", WEIGHT_MAX), ("labels", SYNAPSE_LABEL_MAX)):
            value = np.asarray(getattr(self, name))
            if value.shape != (N_HEMISPHERES, N_ROWS, N_COLUMNS):
                raise ResourceError(
                    f"SynapseConfig.{name} has shape {value.shape}; the chip has "
                    f"{N_HEMISPHERES} hemispheres x {N_ROWS} rows x {N_COLUMNS} columns")
            if value.min(initial=0) < 0 or value.max(initial=0) > limit:
                where = np.argwhere((value < 0) | (value > limit))[0]
                raise ConfigurationError(
                    f"synapse {name} must lie in 0..{limit} (6 bit); hemisphere {where[0]}, "
                    f"row {where[1]}, column {where[2]} holds {value[tuple(where)]}. Spread larger "
                    f"weights over several rows")
        modes = np.asarray(self.row_modes)
        if modes.shape != (N_HEMISPHERES, N_ROWS):
            raise ResourceError(f"SynapseConfig.row_modes needs shape ({N_HEMISPHERES}, {N_ROWS}), got {modes.shape}")
        if not np.isin(modes, [m.value for m in RowMode]).all():
            raise ConfigurationError("row_modes must hold RowMode values 0 (disabled), 1 (excitatory), 2 (inhibitory)")


@dataclass
class EventRouting:
    """Where events go: entry ``i`` sends every event with label ``source_label[i]``
    (external input or neuron output, 0..16383) to synapse-driver row ``row[i]`` of
    hemisphere ``hemisphere[i]``, carrying synapse label ``synapse_label[i]`` (0..63)."""

    source_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    hemisphere: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    synapse_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    @classmethod
    def from_entries(cls, entries) -> "EventRouting":
        """Build from an iterable of ``(source_label, hemisphere, row, synapse_label)``."""
        table = np.asarray(list(entries), dtype=np.int64).reshape(-1, 4)
        return cls(*(table[:, i].astype(np.int32) for i in range(4)))

    def __len__(self) -> int:
        return int(np.asarray(self.source_label).size)

    def validate(self) -> None:
        arrays = [np.asarray(a) for a in (self.source_label, self.hemisphere, self.row, self.synapse_label)]
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise ConfigurationError("EventRouting arrays must be 1-D and of equal length")
        for name, a, high in zip(("source_label", "hemisphere", "row", "synapse_label"), arrays,
                                 (EVENT_LABEL_MAX, N_HEMISPHERES - 1, N_ROWS - 1, SYNAPSE_LABEL_MAX)):
            bad = np.flatnonzero((a < 0) | (a > high))
            if bad.size:
                kind = ResourceError if name in ("hemisphere", "row") else ConfigurationError
                raise kind(f"routing entry {bad[0]}: {name} = {a[bad[0]]} is outside 0..{high}")


@dataclass(frozen=True)
class PlasticityTimer:
    """When a PPU kernel runs: at ``start_us`` and then every ``period_us``, ``num_periods`` times."""

    start_us: float
    period_us: float
    num_periods: int


@dataclass(frozen=True)
class PlasticityProgram:
    """A PPU kernel from ``ppu_firmware`` with its parameters and timer.

    ``kernel`` names a kernel of the firmware; ``parameters`` are written to the
    mailbox before the run (name -> integer value or integer array, as the kernel's
    parameter table documents); ``hemispheres`` says which PPUs run it.
    """

    kernel: str
    timer: PlasticityTimer
    parameters: dict = field(default_factory=dict)
    hemispheres: tuple[int, ...] = (0, 1)


@dataclass
class ReadoutConfig:
    """What is recorded besides the spikes of all neurons (always recorded).

    * MADC: at most one even and one odd neuron (``madc_neurons``), ~29.4 MSa/s, 10 bit.
    * CADC: all 512 membranes every ``cadc_period_us`` (8 bit). With
      ``cadc_reference_dac`` set, every channel reads a shared CapMem reference voltage
      instead of its membrane (used to calibrate channel offsets).
    * ``cadc_channel_offset``: digital per-channel offset (-128..127) added to CADC reads.
    * ``correlation_at_end``: at the end of the run, read the causal and acausal
      correlation sensors of every synapse through the CADC (8 bit), as calix reads them
      from the host (``read_correlation``); they arrive in :attr:`RunResult.correlation`.
      Sensors start each trial discharged (reset).
    """

    madc_neurons: tuple[int, ...] = ()
    madc_source: MADCSource = MADCSource.MEMBRANE
    cadc_period_us: float | None = None
    cadc_reference_dac: int | None = None
    cadc_channel_offset: np.ndarray = field(default_factory=lambda: np.zeros(N_NEURONS, dtype=np.int32))
    correlation_at_end: bool = False

    def validate(self) -> None:
        neurons = [int(n) for n in self.madc_neurons]
        if any(n < 0 or n >= N_NEURONS for n in neurons):
            raise ResourceError(f"MADC neuron index out of range 0..{N_NEURONS - 1}: {neurons}")
        if len(neurons) > 2 or sum(n % 2 == 0 for n in neurons) > 1 or sum(n % 2 == 1 for n in neurons) > 1:
            raise ResourceError(
                f"the MADC records at most one even and one odd neuron at a time, got {neurons}; "
                f"record the others in another run or sample them with the CADC")
        if self.cadc_period_us is not None and self.cadc_period_us < CADC_MIN_SAMPLE_PERIOD_US - 1e-12:
            raise ResourceError(
                f"cadc_period_us = {self.cadc_period_us} is faster than the CADC's 1.85 MSa/s; "
                f"use >= {CADC_MIN_SAMPLE_PERIOD_US:.3f} us")
        if self.cadc_reference_dac is not None and not 0 <= self.cadc_reference_dac <= CAPMEM_MAX_DAC:
            raise ConfigurationError(f"cadc_reference_dac must lie in 0..{CAPMEM_MAX_DAC}")
        off = np.asarray(self.cadc_channel_offset)
        if off.shape != (N_NEURONS,) or off.min() < -128 or off.max() > 127:
            raise ConfigurationError("cadc_channel_offset needs shape (512,) and values in -128..127")


CORRELATION_V_RES_MEAS_RANGE_MV = (600.0, 1200.0)
"""Allowed range of the board voltage ``v_res_meas`` (calix recommends ~0.9 V)."""


@dataclass
class CorrelationSensorConfig:
    """Bias settings of the synapses' correlation sensors, per CapMem quadrant.

    Names follow the real biases (calix ``calix.spiking.correlation``; halco
    ``CapMemCellOnCapMemBlock.syn_i_bias_ramp`` / ``syn_i_bias_store``):

    * ``i_bias_ramp_dac`` (4,) CapMem DAC 0..1022: the sensors' ramp/reset bias current,
      which sets the decay of the pre and post traces: **larger = shorter time constant**;
    * ``i_bias_store_dac`` (4,) CapMem DAC 0..1022: the store bias current, which sets how
      much charge one correlated pair moves into the accumulator: **larger = smaller
      amplitude**;
    * ``v_res_meas_mv``: the board voltage the measurement capacitors reset to (one per
      chip, 600..1200 mV, calix default 900 mV); higher gives larger amplitudes.

    Quadrant ``q`` holds the synapses of columns ``(q % 2) * 128 ..`` of hemisphere
    ``q // 2`` (the quadrant of the neuron below them, :func:`quadrant_of`). What a DAC
    value means differs per chip and quadrant (fixed-pattern noise): ``calibration.correlation``
    finds the values for a target amplitude (CADC LSB per pair) and time constant (us).

    ``ChipConfiguration.correlation = None`` (the default) means the sensors as calix'
    default correlation calibration leaves them (``CorrelationCalibTarget``: 0.5 CADC LSB
    per correlated pair at delay 0, time constant 5 us, in every quadrant); a hardware
    adapter applies that calibration, the emulator uses these nominal values directly.
    """

    i_bias_ramp_dac: np.ndarray = field(default_factory=lambda: np.full(N_QUADRANTS, 240, dtype=np.int32))
    i_bias_store_dac: np.ndarray = field(default_factory=lambda: np.full(N_QUADRANTS, 200, dtype=np.int32))
    v_res_meas_mv: float = 900.0

    def copy(self) -> "CorrelationSensorConfig":
        return CorrelationSensorConfig(np.array(self.i_bias_ramp_dac, np.int32).copy(),
                                       np.array(self.i_bias_store_dac, np.int32).copy(), float(self.v_res_meas_mv))

    def validate(self) -> None:
        for name in ("i_bias_ramp_dac", "i_bias_store_dac"):
            value = np.asarray(getattr(self, name))
            if value.shape != (N_QUADRANTS,):
                raise ConfigurationError(
                    f"CorrelationSensorConfig.{name} has shape {value.shape}; it needs one CapMem DAC value "
                    f"per quadrant, shape ({N_QUADRANTS},)")
            if not np.issubdtype(value.dtype, np.integer):
                raise ConfigurationError(f"CorrelationSensorConfig.{name} must hold integers (CapMem DAC), "
                                         f"got dtype {value.dtype}; round the values")
            bad = np.flatnonzero((value < 0) | (value > CAPMEM_MAX_DAC))
            if bad.size:
                raise ConfigurationError(
                    f"CorrelationSensorConfig.{name} must lie in 0..{CAPMEM_MAX_DAC} (CapMem DAC); quadrant "
                    f"{bad[0]} has {value[bad[0]]}")
        low, high = CORRELATION_V_RES_MEAS_RANGE_MV
        if not np.isfinite(self.v_res_meas_mv) or not low <= self.v_res_meas_mv <= high:
            raise ConfigurationError(
                f"CorrelationSensorConfig.v_res_meas_mv = {self.v_res_meas_mv} mV is outside {low:.0f}..{high:.0f} mV; "
                f"calix recommends 900 mV (raise it only when amplitudes cannot be reached)")


@dataclass
class ChipConfiguration:
    """Everything the chip is configured with before a run."""

    neurons: NeuronConfig = field(default_factory=NeuronConfig)
    synapses: SynapseConfig = field(default_factory=SynapseConfig)
    routing: EventRouting = field(default_factory=EventRouting)
    readout: ReadoutConfig = field(default_factory=ReadoutConfig)
    synapse_dac_bias: np.ndarray = field(default_factory=lambda: np.full(N_QUADRANTS, 600, dtype=np.int32))
    """Global synapse DAC bias per quadrant (CapMem DAC): scales every weight's current."""
    plasticity: tuple[PlasticityProgram, ...] = ()
    correlation: CorrelationSensorConfig | None = None
    """Correlation-sensor biases; ``None`` = calix' default calibration (0.5 CADC LSB per
    pair, 5 us), see :class:`CorrelationSensorConfig`."""

    def copy(self) -> "ChipConfiguration":
        return ChipConfiguration(
            self.neurons.copy(), self.synapses.copy(),
            EventRouting(*(np.array(a) for a in dataclasses.astuple(self.routing))),
            dataclasses.replace(self.readout, cadc_channel_offset=self.readout.cadc_channel_offset.copy()),
            self.synapse_dac_bias.copy(), tuple(self.plasticity),
            None if self.correlation is None else self.correlation.copy())

    def validate(self) -> None:
        self.neurons.validate()
        self.synapses.validate()
        self.routing.validate()
        self.readout.validate()
        bias = np.asarray(self.synapse_dac_bias)
        if bias.shape != (N_QUADRANTS,) or bias.min() < 0 or bias.max() > CAPMEM_MAX_DAC:
            raise ConfigurationError(f"synapse_dac_bias needs {N_QUADRANTS} values in 0..{CAPMEM_MAX_DAC}")
        if self.correlation is not None:
            if not isinstance(self.correlation, CorrelationSensorConfig):
                raise ConfigurationError(
                    f"ChipConfiguration.correlation must be a CorrelationSensorConfig or None, got "
                    f"{type(self.correlation).__name__}")
            self.correlation.validate()


@dataclass
class Stimulus:
    """Input events for a batch of independent trials.

    Flat arrays of equal length: ``trial`` (0..n_trials-1), ``time_us`` (hardware us,
    sorted ascending within each trial, >= 0) and ``label`` (0..16383). Every trial runs
    the same configuration from the same initial state.
    """

    n_trials: int
    trial: np.ndarray
    time_us: np.ndarray
    label: np.ndarray

    @classmethod
    def empty(cls, n_trials: int = 1) -> "Stimulus":
        return cls(n_trials, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))

    @classmethod
    def single(cls, time_us, label) -> "Stimulus":
        """One trial with the given event times (us) and labels."""
        time_us = np.atleast_1d(np.asarray(time_us, dtype=float))
        label = np.broadcast_to(np.asarray(label, dtype=np.int64), time_us.shape).copy()
        return cls(1, np.zeros(time_us.size, np.int64), time_us, label)

    @classmethod
    def from_trials(cls, trials) -> "Stimulus":
        """From a sequence of ``(time_us, label)`` pairs, one per trial."""
        trials = list(trials)
        times = [np.atleast_1d(np.asarray(t, dtype=float)) for t, _ in trials]
        labels = [np.broadcast_to(np.asarray(l, dtype=np.int64), t.shape) for t, (_, l) in zip(times, trials)]
        index = [np.full(t.size, i, np.int64) for i, t in enumerate(times)]
        cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
        return cls(len(trials), cat(index, np.int64), cat(times, float), cat(labels, np.int64))

    def validate(self) -> None:
        if self.n_trials < 1:
            raise StimulusError("a stimulus needs at least one trial")
        trial, time, label = (np.asarray(a) for a in (self.trial, self.time_us, self.label))
        if not (trial.shape == time.shape == label.shape) or trial.ndim != 1:
            raise StimulusError("Stimulus.trial, .time_us and .label must be 1-D arrays of equal length")
        if time.size == 0:
            return
        if not np.isfinite(time).all() or time.min() < 0:
            i = int(np.flatnonzero(~np.isfinite(time) | (time < 0))[0])
            raise StimulusError(f"event {i} has time {time[i]} us; event times must be finite and >= 0")
        if trial.min() < 0 or trial.max() >= self.n_trials:
            raise StimulusError(f"event trial indices must lie in 0..{self.n_trials - 1}")
        if (label.min() < 0) or (label.max() > EVENT_LABEL_MAX):
            i = int(np.flatnonzero((label < 0) | (label > EVENT_LABEL_MAX))[0])
            raise StimulusError(f"event {i} has label {label[i]}; labels are 14 bit (0..{EVENT_LABEL_MAX})")
        order_ok = (np.diff(trial) > 0) | ((np.diff(trial) == 0) & (np.diff(time) >= 0))
        if not order_ok.all():
            i = int(np.flatnonzero(~order_ok)[0]) + 1
            raise StimulusError(
                f"event {i} (trial {trial[i]}, t = {time[i]} us) is out of order; sort events by "
                f"trial, then by time (np.lexsort((time_us, trial)))")


@dataclass
class SpikeRecord:
    """Spikes of all neurons: flat arrays ``trial``, ``time_us`` (FPGA-tick resolution), ``neuron``."""

    n_trials: int
    trial: np.ndarray
    time_us: np.ndarray
    neuron: np.ndarray

    def of_trial(self, trial: int) -> tuple[np.ndarray, np.ndarray]:
        """``(time_us, neuron)`` of one trial, sorted by time."""
        sel = self.trial == trial
        return self.time_us[sel], self.neuron[sel]

    def times_of(self, neuron: int, trial: int = 0) -> np.ndarray:
        return self.time_us[(self.trial == trial) & (self.neuron == neuron)]

    def counts(self) -> np.ndarray:
        """Spike counts, shape (n_trials, 512)."""
        out = np.zeros((self.n_trials, N_NEURONS), dtype=np.int64)
        np.add.at(out, (self.trial, self.neuron), 1)
        return out


@dataclass
class MADCTrace:
    """MADC samples (10 bit) of the selected neurons: ``samples[trial, i, k]`` is neuron
    ``neurons[i]`` at ``time_us[k]``."""

    neurons: tuple[int, ...]
    source: MADCSource
    time_us: np.ndarray
    samples: np.ndarray


@dataclass
class CADCSamples:
    """CADC reads (8 bit): ``samples[trial, k, neuron]`` at ``time_us[k]``."""

    time_us: np.ndarray
    samples: np.ndarray


@dataclass
class PlasticityOutput:
    """What the PPU left after a run: per-trial synapse weights, mailbox contents and the
    kernel's estimated cost."""

    weights: np.ndarray
    """(n_trials, 2, 256, 256) uint8 weights after the run."""
    labels: np.ndarray
    """(n_trials, 2, 256, 256) uint8 labels after the run (structural plasticity rewires)."""
    mailbox: np.ndarray
    """(n_trials, 2, mailbox_bytes) uint8 mailbox of each PPU at the end of the run."""
    cycles_per_call: dict
    """kernel name -> estimated PPU cycles of one call."""
    calls: int
    events_sent: np.ndarray = field(default_factory=lambda: np.zeros((0, N_HEMISPHERES), np.int64))
    """(n_trials, 2) events each PPU sent into the routing (``hal_send_spike``); events a
    full queue refused are counted in the mailbox (``spikes.h``: 0xE02)."""


@dataclass
class CorrelationReads:
    """8-bit CADC reads of the correlation sensors at the end of a run:
    ``causal[trial, h, row, column]`` and ``acausal[...]`` (uint8, (n_trials, 2, 256, 256)).
    A read is ``offset + gain x accumulated`` per synapse (both fixed-pattern), so subtract
    the read of an unstimulated trial (the baseline) to get the accumulated correlation."""

    causal: np.ndarray
    acausal: np.ndarray


@dataclass
class RunResult:
    """Everything a run returns. ``dropped_events[trial]`` counts input events the link
    could not deliver; nothing is dropped silently."""

    chip_id: int
    duration_us: float
    seed: int
    """The seed of the run's temporal noise: pass it again to repeat the run exactly."""
    spikes: SpikeRecord
    dropped_events: np.ndarray
    madc: MADCTrace | None = None
    cadc: CADCSamples | None = None
    plasticity: PlasticityOutput | None = None
    rate_counters: np.ndarray | None = None
    """(n_trials, 512) 8-bit spike counters at the end of the run (saturating at 255)."""
    correlation: CorrelationReads | None = None
    """Correlation-sensor reads at the end of the run (``readout.correlation_at_end``)."""


@runtime_checkable
class Chip(Protocol):
    """A BrainScaleS-2 chip: the emulator, or an adapter to a real one."""

    chip_id: int
    identity: str
    """Names this chip's fixed-pattern noise, e.g. ``"emulator:7"`` or ``"emulator:ideal"``:
    the key under which its calibrations are cached."""

    def run(self, config: ChipConfiguration, stimulus: Stimulus, duration_us: float,
            seed: int | None = None) -> RunResult:
        """Configure, play the stimulus for ``duration_us`` hardware microseconds per trial,
        and return the recordings. ``seed`` fixes the temporal noise of this run."""
        ...


def quantise_to_fpga_ticks(time_us: np.ndarray) -> np.ndarray:
    """Round hardware times to the FPGA's 8 ns timestamp grid."""
    return us_to_fpga_ticks(time_us) * FPGA_TICK_US
