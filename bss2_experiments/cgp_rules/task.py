"""The teacher-student task on the emulated chip (seed section 1.2.1.5, Figure 20b; the
error-driven task of Jordan et al. 2021, eLife 10:e66273).

A Poisson spike source projects to ``K`` teacher neurons (fixed weights ``w_t``) and ``K``
student neurons (plastic weights, starting at ``w_init``); the candidate rule runs on the
PPU (``cgp`` kernel) every ``period_ms`` and sees, per student synapse, the student's
membrane u, the teacher's membrane u_target (``target_column``) and the presynaptic trace
(``psp``: the causal sensor of a regularly spiking "clock" neuron that receives the same
source samples the row's presynaptic trace at each of its spikes). All teacher weights and
initial weights of one evaluation run as parallel neuron pairs in one chip call.
Fitness = - mean |u_student - u_teacher| (CADC, mV) over the trial after ``skip_fraction``,
averaged over the pairs.

The network is a PyNN network (``bss2_experiments.pynn``), built and compiled once per
process and task (:func:`task`); each rule then runs through the chip interface
(``Chip.run``) with the compiled configuration, only the PPU program replaced. Times are
biological ms (1 ms = 1 us on the chip), weights nA (PyNN ``IF_curr_exp``).
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ppu_firmware import cgp as kernel_cgp
from ppu_firmware import host

from ..pynn import scaling
from ..pynn.mapping import INPUT_LABEL_OFFSET

CELL = {"cm": 1.0, "tau_m": 10.0, "tau_syn_E": 5.0, "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -20.0,
        "tau_refrac": 2.0}
"""Teacher and student: subthreshold (threshold above the largest potential of the task)."""
CLOCK_CELL = {"cm": 1.0, "tau_m": 10.0, "tau_syn_E": 5.0, "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -60.0,
              "tau_refrac": 0.1, "i_offset": 5.0}
"""The clock neuron fires regularly (~1 kHz biological) so its causal sensors sample the traces."""
CLOCK_WEIGHT_NA = 0.02
"""A synapse (smallest nonzero weight) is needed for the clock's sensor to see the source."""


@dataclass(frozen=True)
class TaskConfig:
    """One evaluation: every teacher (one weight per input) x every initial student weight,
    as parallel neuron pairs in one chip call. The default has one Poisson input; several
    (Jordan et al. 2021 use five) make the task one of credit assignment, where a rule must
    tell the synapses apart (a presynaptic factor does, u_target - u alone does not)."""

    teacher_weights_na: tuple[tuple[float, ...], ...] = ((0.35,), (0.6,), (0.85,))
    initial_weights_na: tuple[float, ...] = (0.1, 1.05)
    rates_hz: tuple[float, ...] = (500.0,)
    duration_ms: float = 2000.0
    period_ms: float = 50.0
    eta_shift: int = 2
    skip_fraction: float = 0.1
    sample_ms: float = 5.0
    """CADC sampling interval of the membranes for the fitness."""
    chip_id: int = 0
    ideal: bool = False
    timestep_ms: float = 0.1
    input_seed: int = 0
    """Poisson input and temporal noise of the run: fixed, so that a rule's fitness is a
    function of the rule (and can be cached)."""

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Teacher and initial weights (nA) of every pair, shape (n_pairs, n_inputs), teacher-major."""
        teacher = np.asarray(self.teacher_weights_na, float)
        n_init = len(self.initial_weights_na)
        initial = np.repeat(np.asarray(self.initial_weights_na, float)[:, None], teacher.shape[1], axis=1)
        return np.repeat(teacher, n_init, axis=0), np.tile(initial, (teacher.shape[0], 1))

    def validate(self) -> None:
        if not self.teacher_weights_na or not self.initial_weights_na or not self.rates_hz:
            raise ValueError("TaskConfig needs at least one teacher, one initial weight and one input rate")
        if any(len(t) != len(self.rates_hz) for t in self.teacher_weights_na):
            raise ValueError(f"every teacher needs one weight per input ({len(self.rates_hz)} rates_hz), got "
                             f"{self.teacher_weights_na}")
        if min(min(min(t) for t in self.teacher_weights_na), min(self.initial_weights_na)) <= 0:
            raise ValueError("teacher and initial weights must be positive (nA): the student synapse is excitatory")
        if self.period_ms * 4 > self.duration_ms:
            raise ValueError(f"duration_ms = {self.duration_ms} gives fewer than 4 kernel calls at period_ms = "
                             f"{self.period_ms}; lengthen the trial")
        if not 0 <= self.eta_shift <= kernel_cgp.MAX_ETA_SHIFT:
            raise ValueError(f"eta_shift must lie in 0..{kernel_cgp.MAX_ETA_SHIFT}, got {self.eta_shift}")


@dataclass
class Evaluation:
    """What one run of a rule measured (:func:`evaluate`)."""

    fitness: float
    """- mean |u_student - u_teacher| (mV), averaged over pairs."""
    teacher_weights_na: np.ndarray
    initial_weights_na: np.ndarray
    final_weights_na: np.ndarray
    """(n_pairs, n_inputs)"""
    weight_error: np.ndarray
    """|w_final - w_teacher| / w_teacher per synapse, (n_pairs, n_inputs)."""


class TeacherStudent:
    """The PyNN network of :class:`TaskConfig`, built and compiled once per process and
    config; every rule then runs as one call of the chip interface (:meth:`run`).

    The network is placed by ``neuronPermutation`` (teachers on chip neurons 0..k-1,
    students on k..2k-1, the clock on 2k, hemisphere 0) and compiled by one
    ``sim.run_batch`` (a fresh ``setup()`` seeded by ``config.input_seed``). That run
    gives the chip configuration, the input events and the seed of the temporal noise
    (``RunResult.seed``); each rule replaces only the PPU program (its nodes and timer) and
    runs with the same events and seed, so its fitness is a function of the rule (and is
    the fitness a fresh PyNN ``run()`` of the same network would measure, see the tests)
    without rebuilding and recompiling the PyNN network (profile: PyNN setup, compile,
    calibration load and recorder conversion were ~45 % of an evaluation's CPU time).
    """

    def __init__(self, config: TaskConfig, chip=None):
        import bss2_experiments.pynn as sim
        config.validate()
        chip = chip if chip is not None else _chip(config)
        self.config, self.sim = config, sim
        teacher_w, initial_w = config.pairs()
        k = teacher_w.shape[0]
        self.n_pairs, self.teacher_w, self.initial_w = k, teacher_w, initial_w
        self.program = list(PLACEHOLDER)
        sim.setup(timestep=config.timestep_ms, chip_id=config.chip_id, ideal=config.ideal, seed=config.input_seed,
                  progress=False, neuronPermutation=list(range(2 * k + 1)), chip=chip)
        rng = np.random.default_rng(config.input_seed)
        trains = [_poisson(rng, rate, config.duration_ms) for rate in config.rates_hz]
        self.sources = [sim.Population(1, sim.SpikeSourceArray(spike_times=t), label=f"input {i}")
                        for i, t in enumerate(trains)]
        self.teachers = sim.Population(k, sim.IF_curr_exp(**CELL), label="teachers")
        self.students = sim.Population(k, sim.IF_curr_exp(**CELL), label="students")
        clock = sim.Population(1, sim.IF_curr_exp(**CLOCK_CELL), label="clock")
        rule = sim.PlasticityRule(kernel="cgp", parameters=self._parameters, timer=self.timer(self.program, config))
        self.plastic = []
        for i, source in enumerate(self.sources):
            sim.Projection(source, self.teachers, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=teacher_w[None, :, i]))
            self.plastic.append(sim.Projection(source, self.students, sim.AllToAllConnector(),
                                               sim.PlasticSynapse(weight=initial_w[None, :, i], plasticity_rule=rule)))
            sim.Projection(source, clock, sim.AllToAllConnector(), sim.StaticSynapse(weight=CLOCK_WEIGHT_NA))
        self.teachers.record("v", device="cadc", sampling_interval=config.sample_ms)
        self.students.record("v", device="cadc", sampling_interval=config.sample_ms)
        compiled = sim.run_batch(config.duration_ms, {s: [[t]] for s, t in zip(self.sources, trains)})
        self.chip, self.chip_config, self.stimulus = chip, compiled.config, compiled.stimulus
        self.seed, (self.base_program,) = compiled.run.seed, compiled.config.plasticity
        self.teacher_neurons, self.student_neurons = np.arange(k), np.arange(k, 2 * k)
        # PyNN weight (nA) -> hardware weight of each student (pynn.scaling: slope over calibrated strength)
        strength = np.asarray(compiled.calibration.achieved["syn_strength_exc"])[self.student_neurons]
        self.weight_lsb_per_na = scaling.slope_cadc_per_us(1.0, CELL["cm"]) / strength
        self.input_rows = self._input_rows()
        self._check_initial_weights()

    def _parameters(self, rows: np.ndarray, columns: np.ndarray) -> dict:
        k = self.n_pairs
        students = np.arange(k, 2 * k)
        if not np.array_equal(np.flatnonzero(columns[0]), students) or columns[1].any():
            raise RuntimeError(f"students landed on columns {np.flatnonzero(columns[0])}, expected {students}: "
                               f"the network must be placed by neuronPermutation")
        target = np.zeros(256, np.int64)
        target[students] = np.arange(k)
        frozen = np.setdiff1d(np.arange(256), students)
        return {"nodes": self.program, "constants": [256, 0, 0, 0], "rows": np.flatnonzero(rows[0]),
                "eta_shift": self.config.eta_shift, "psp_column": 2 * k, "target_column": target,
                "frozen_columns": frozen}

    @staticmethod
    def period_ms(program: Sequence, config: TaskConfig) -> float:
        """The timer period for ``program``: ``config.period_ms``, or the kernel's run time
        on the PPU (cost model of ``ppu_firmware``) when that is longer. A long program (the
        PPU has no vector divide) gets fewer updates per trial, as it would on the chip."""
        return max(config.period_ms, _kernel_us(tuple(map(tuple, program)), len(config.rates_hz)))

    def timer(self, program: Sequence, config: TaskConfig):
        """The PyNN ``Timer`` of ``program``: every :meth:`period_ms` from one period on."""
        period = self.period_ms(program, config)
        return self.sim.Timer(period, period, max(int(config.duration_ms // period) - 1, 1))

    def student_weights(self, chip_weights: np.ndarray) -> np.ndarray:
        """Weights (nA) of the student synapses, (n_pairs, n_inputs), from the chip's weights
        (2, 256, 256): per input, the synapses its events reach in the student columns
        (event routing and synapse labels of the compiled configuration), summed."""
        labels = self.chip_config.synapses.labels
        out = np.zeros((self.n_pairs, len(self.sources)))
        for i, entries in enumerate(self.input_rows):
            for h, row, label in entries:
                hit = labels[h, row, self.student_neurons] == label
                out[:, i] += np.where(hit, chip_weights[h, row, self.student_neurons], 0)
        return out / self.weight_lsb_per_na[:, None]

    def _input_rows(self) -> list[list[tuple[int, int, int]]]:
        """Per input: (hemisphere, row, synapse label) of its routing entries."""
        routing = self.chip_config.routing
        return [[(int(h), int(r), int(s)) for lab, h, r, s in zip(routing.source_label, routing.hemisphere,
                                                                    routing.row, routing.synapse_label)
                 if lab == INPUT_LABEL_OFFSET + i] for i in range(len(self.sources))]

    def _check_initial_weights(self) -> None:
        """The read-back of the compiled weights gives the initial weights (to the LSB)."""
        initial = self.student_weights(self.chip_config.synapses.weights)
        if not np.allclose(initial, self.initial_w, atol=0.5 / self.weight_lsb_per_na.min()):
            raise RuntimeError(f"student weights read back as {initial.tolist()} nA, set {self.initial_w.tolist()} "
                               f"nA: the network was not placed as expected")

    def run(self, program: Sequence, duration_ms: float | None = None, seed: int | None = None):
        """Run ``program`` on the chip for ``duration_ms`` (default: the trial) with the
        temporal-noise ``seed`` (default: the compiling run's); the chip's
        :class:`emulator.interface.RunResult` (hardware units, one trial)."""
        kernel_cgp.encode_nodes(program)
        timer = self.timer(program, self.config).to_hardware()
        rule = dataclasses.replace(self.base_program, timer=timer,
                                   parameters={**self.base_program.parameters, "nodes": list(program)})
        config = dataclasses.replace(self.chip_config, plasticity=(rule,))
        duration_us = float(scaling.ms_to_us(self.config.duration_ms if duration_ms is None else duration_ms))
        return self.chip.run(config, self.stimulus, duration_us, seed=self.seed if seed is None else seed)

    def membranes(self, result) -> tuple[np.ndarray, np.ndarray]:
        """CADC samples (mV) of teachers and students, (n_samples, n_pairs) each."""
        return tuple(scaling.cadc_to_mv(result.cadc.samples[0][:, n].astype(float))
                     for n in (self.teacher_neurons, self.student_neurons))


@functools.lru_cache(maxsize=4096)
def _kernel_us(program: tuple, n_rows: int) -> float:
    """Run time (us, rounded up, + 1 us) of one kernel call of ``program`` on ``n_rows`` rows."""
    cycles = host.estimate_cycles("cgp", {"nodes": list(program), "rows": range(n_rows)})
    return float(np.ceil(host.cycles_to_us(cycles) + 1.0))


PLACEHOLDER = (("sub", "target", "membrane"),)
"""The program the network is compiled with; each rule replaces it."""

_chips: dict[tuple, object] = {}
_tasks: dict[TaskConfig, TeacherStudent] = {}


def _chip(config: TaskConfig):
    """The emulated chip of ``config``, built once per process (fixed-pattern noise)."""
    from emulator.chip import Emulator
    key = (config.chip_id, config.ideal, config.timestep_ms)
    if key not in _chips:
        _chips[key] = Emulator(chip_id=config.chip_id, ideal=config.ideal, dt_us=config.timestep_ms)
    return _chips[key]


def task(config: TaskConfig) -> TeacherStudent:
    """The compiled network of ``config``, built once per process (e.g. per Dask worker)."""
    if config not in _tasks:
        _tasks[config] = TeacherStudent(config, _chip(config))
    return _tasks[config]


def evaluate(program: Sequence, config: TaskConfig) -> Evaluation:
    """Run ``program`` (kernel nodes, see ``ppu_firmware.cgp``) for the whole trial."""
    net = task(config)
    result = net.run(program)
    u_t, u_s = net.membranes(result)
    start = int(config.skip_fraction * u_t.shape[0])
    fitness = -float(np.mean(np.abs(u_s[start:] - u_t[start:])))
    final = net.student_weights(result.plasticity.weights[0])
    return Evaluation(fitness, net.teacher_w, net.initial_w, final, np.abs(final - net.teacher_w) / net.teacher_w)


def weight_trace(program: Sequence, config: TaskConfig, n_points: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Weights (n_points + 1, n_pairs, n_inputs) in nA after runs of growing length (same
    input and seed, from the initial weights each time) and their times (ms): the weights' course."""
    net = task(config)
    times = np.linspace(0.0, config.duration_ms, n_points + 1)
    first_call = TeacherStudent.period_ms(program, config)
    weights = [net.initial_w if t <= first_call else net.student_weights(net.run(program, t).plasticity.weights[0])
               for t in times]
    return times, np.stack(weights)


def _poisson(rng: np.random.Generator, rate_hz: float, duration_ms: float) -> np.ndarray:
    """Poisson spike times (ms, on the 0.1 ms grid, distinct) in [1, duration_ms)."""
    n = rng.poisson(rate_hz * duration_ms / 1000.0)
    return np.unique(np.round(rng.uniform(1.0, duration_ms, n), 1))
