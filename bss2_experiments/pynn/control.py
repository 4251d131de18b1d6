"""setup / run / reset / end, and the batched-trials extension ``run_batch``."""
from __future__ import annotations

from pyNN import common
from pyNN.common.control import DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from calibration.correlation import CorrelationTarget
from emulator.interface import Chip
from . import scaling, simulator
from .execution import execute_batch


def setup(timestep: float = DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, *, chip_id: int = 0,
          ideal: bool = False, calibration="auto", chip: Chip | None = None, cache_dir=None,
          progress: bool = True, seed: int | None = None, neuronPermutation=None,
          i_synin_gm_exc: float = 500, i_synin_gm_inh: float = 500, synapse_dac_bias: float = 600,
          correlation_amplitude_lsb: float | None = None, correlation_tau_us: float | None = None,
          **extra_params) -> int:
    """Start a BrainScaleS-2 session.

    * ``timestep`` (biological ms) is the emulator's integration step (as hardware us);
      ``min_delay`` defaults to it and is the only delay allowed.
    * ``chip_id`` picks the emulated chip (its fixed-pattern noise); ``ideal=True`` turns
      fixed-pattern and temporal noise off; ``chip`` takes any object implementing
      :class:`emulator.interface.Chip` instead of the emulator.
    * ``calibration``: ``"auto"`` (calibrate or load from ``cache_dir``, with
      ``progress``), ``None`` (design values, uncalibrated) or a
      ``calibration.CalibrationResult``.
    * ``seed`` fixes Poisson inputs and the chip's temporal noise.
    * ``neuronPermutation``: chip neuron of each PyNN neuron (pynn_brainscales' name).
    * ``i_synin_gm_exc/inh`` (CapMem DAC, 30..800) and ``synapse_dac_bias`` (30..1022):
      synaptic input strength targets used for the standard cell types.
    * ``correlation_amplitude_lsb`` (CADC LSB per correlated pair at delay 0, 0.2..2.0) and
      ``correlation_tau_us`` (hardware us, 2..30): the synapses' correlation sensors, which
      PPU plasticity kernels read. Given (either; the other keeps calix' default 0.5 LSB /
      5 us), the sensors' per-quadrant biases are calibrated for them
      (``calibration.correlation``, cached like the neuron calibration; with
      ``calibration=None`` the design biases are used). ``None`` for both (default): the
      chip's default correlation calibration, 0.5 LSB per pair and 5 us.
    """
    correlation_target = None
    if correlation_amplitude_lsb is not None or correlation_tau_us is not None:
        default = CorrelationTarget()
        correlation_target = CorrelationTarget(
            default.amplitude_lsb if correlation_amplitude_lsb is None else correlation_amplitude_lsb,
            default.tau_us if correlation_tau_us is None else correlation_tau_us).validate()
    if min_delay == "auto":
        min_delay = timestep
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.chip_options = dict(
        chip_id=chip_id, ideal=ideal, calibration=calibration, cache_dir=cache_dir, progress=progress,
        seed=seed, neuronPermutation=neuronPermutation, dt_us=float(scaling.ms_to_us(timestep)),
        i_synin_gm_exc=i_synin_gm_exc, i_synin_gm_inh=i_synin_gm_inh, synapse_dac_bias=synapse_dac_bias,
        correlation_target=correlation_target)
    state.calibration_cache = {}
    state.clear()
    state.chip = chip
    state.dt = timestep
    state.min_delay = min_delay
    state.max_delay = extra_params.get("max_delay", min_delay)
    return rank()


def end(compatible_output: bool = True) -> None:
    """Write data requested with ``record(..., to_file=...)``."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)


def run_batch(duration: float, inputs: dict):
    """Run independent trials of the network in one chip call (an extension of PyNN).

    ``inputs = {source_population: [trial_0, trial_1, ...]}`` where each trial is a list
    with one sequence of spike times (biological ms from the trial's start) per neuron of
    that spike source. Every trial starts from rest, lasts ``duration`` ms and uses the
    same network; sources not in ``inputs`` play their own spike times (Poisson sources
    draw anew per trial). Returns a :class:`~bss2_experiments.pynn.batch.BatchResult`
    (``result.spike_times(pop)[trial][neuron]``, ``result.spike_counts(pop)``). The
    current time, the recorders and plastic projections' weights are not touched (a PPU
    kernel's per-trial weights are in ``result.run.plasticity``).
    """
    return execute_batch(simulator.state, duration, inputs)
