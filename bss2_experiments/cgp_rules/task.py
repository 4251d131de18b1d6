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

Everything goes through the PyNN backend (``bss2_experiments.pynn``; the emulated chip is built
once per process and handed to ``setup(chip=...)``). Times are biological
ms (1 ms = 1 us on the chip), weights nA (PyNN ``IF_curr_exp``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ppu_firmware import cgp as kernel_cgp
from ppu_firmware import host

CELL = dict(tau_m=10.0, tau_syn_E=5.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-20.0, tau_refrac=2.0)
"""Teacher and student: subthreshold (threshold above the largest potential of the task)."""
CLOCK_CELL = dict(tau_m=10.0, tau_syn_E=5.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-60.0, tau_refrac=0.1,
                  i_offset=5.0)
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
    """The PyNN network of :class:`TaskConfig` with one rule, for one run: a fresh
    ``setup()`` (seeded by ``config.input_seed``) so that a rule's result does not depend on
    what ran before in the process; ``chip`` is reused (its fixed-pattern noise is built once)."""

    def __init__(self, config: TaskConfig, program: Sequence, chip=None):
        import bss2_experiments.pynn as sim
        config.validate()
        kernel_cgp.encode_nodes(program)
        self.config, self.sim, self.program = config, sim, list(program)
        teacher_w, initial_w = config.pairs()
        k = teacher_w.shape[0]
        self.n_pairs = k
        # chip neurons in creation order: teachers 0..k-1, students k..2k-1, clock 2k (hemisphere 0)
        sim.setup(timestep=config.timestep_ms, chip_id=config.chip_id, ideal=config.ideal, seed=config.input_seed,
                  progress=False, neuronPermutation=list(range(2 * k + 1)), chip=chip)
        rng = np.random.default_rng(config.input_seed)
        sources = [sim.Population(1, sim.SpikeSourceArray(spike_times=_poisson(rng, rate, config.duration_ms)),
                                  label=f"input {i}") for i, rate in enumerate(config.rates_hz)]
        self.teachers = sim.Population(k, sim.IF_curr_exp(**CELL), label="teachers")
        self.students = sim.Population(k, sim.IF_curr_exp(**CELL), label="students")
        clock = sim.Population(1, sim.IF_curr_exp(**CLOCK_CELL), label="clock")
        period = self.period_ms(program, config)
        rule = sim.PlasticityRule(kernel="cgp", parameters=self._parameters, timer=sim.Timer(
            period, period, max(int(config.duration_ms // period) - 1, 1)))
        self.plastic = []
        for i, source in enumerate(sources):
            sim.Projection(source, self.teachers, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=teacher_w[None, :, i]))
            self.plastic.append(sim.Projection(source, self.students, sim.AllToAllConnector(),
                                               sim.PlasticSynapse(weight=initial_w[None, :, i], plasticity_rule=rule)))
            sim.Projection(source, clock, sim.AllToAllConnector(), sim.StaticSynapse(weight=CLOCK_WEIGHT_NA))
        self.teachers.record("v", device="cadc", sampling_interval=config.sample_ms)
        self.students.record("v", device="cadc", sampling_interval=config.sample_ms)
        self.teacher_w, self.initial_w = teacher_w, initial_w

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
        cycles = host.estimate_cycles("cgp", {"nodes": list(program), "rows": range(len(config.rates_hz))})
        return max(config.period_ms, float(np.ceil(host.cycles_to_us(cycles) + 1.0)))

    def run(self, duration_ms: float) -> np.ndarray:
        """Run for ``duration_ms``; the final weights (nA), (n_pairs, n_inputs)."""
        self.sim.run(duration_ms)
        return np.stack([np.asarray(p.get("weight", format="array"), float).reshape(-1) for p in self.plastic], axis=1)

    def membranes(self) -> tuple[np.ndarray, np.ndarray]:
        """CADC samples (mV) of teachers and students, (n_samples, n_pairs) each."""
        return tuple(np.asarray(p.get_data("v", clear=True).segments[-1].analogsignals[0].magnitude)
                     for p in (self.teachers, self.students))


_chips: dict[tuple, object] = {}


def _chip(config: TaskConfig):
    """The emulated chip of ``config``, built once per process (fixed-pattern noise)."""
    from emulator.chip import Emulator
    key = (config.chip_id, config.ideal, config.timestep_ms)
    if key not in _chips:
        _chips[key] = Emulator(chip_id=config.chip_id, ideal=config.ideal, dt_us=config.timestep_ms)
    return _chips[key]


def evaluate(program: Sequence, config: TaskConfig) -> Evaluation:
    """Run ``program`` (kernel nodes, see ``ppu_firmware.cgp``) for the whole trial."""
    net = TeacherStudent(config, program, _chip(config))
    final = net.run(config.duration_ms)
    u_t, u_s = net.membranes()
    start = int(config.skip_fraction * u_t.shape[0])
    fitness = -float(np.mean(np.abs(u_s[start:] - u_t[start:])))
    return Evaluation(fitness, net.teacher_w, net.initial_w, final, np.abs(final - net.teacher_w) / net.teacher_w)


def weight_trace(program: Sequence, config: TaskConfig, n_points: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Weights (n_points + 1, n_pairs, n_inputs) in nA after runs of growing length (same
    input, from the initial weights each time) and their times (ms): the weights' course."""
    times = np.linspace(0.0, config.duration_ms, n_points + 1)
    first_call = TeacherStudent.period_ms(program, config)
    weights = [config.pairs()[1] if t <= first_call else TeacherStudent(config, program, _chip(config)).run(t)
               for t in times]
    return times, np.stack(weights)


def _poisson(rng: np.random.Generator, rate_hz: float, duration_ms: float) -> np.ndarray:
    """Poisson spike times (ms, on the 0.1 ms grid, distinct) in [1, duration_ms)."""
    n = rng.poisson(rate_hz * duration_ms / 1000.0)
    return np.unique(np.round(rng.uniform(1.0, duration_ms, n), 1))
