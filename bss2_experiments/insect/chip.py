"""The central-complex circuit as a spiking network on the emulated chip (PyNN backend),
with the bee's body and world in the ``insect_world`` PPU kernel.

Populations after Stone et al. (2017, Curr. Biol. 27:3069): TL2 16, CL1 16, TB1 8, TN1 2,
TN2 2, CPU4 16, CPU1 16, plus 16 CPU4 input cells (92 neurons, ``IF_curr_exp``,
calibrated), all on hemisphere 0 whose PPU runs the world. Three silent
``SpikeSourceArray`` populations stand for the senses; the kernel sends their events
(``event_labels``): compass (16, driving TL2), flow (2: TN2, and the inhibition of TN1)
and the memory source (CPU4). CL1 and TN1 fire tonically (a constant current) unless
inhibited. Connectivity is :mod:`.anatomy`'s, sign by synapse row, magnitudes as PyNN
weights that the backend quantises to 6-bit synapses.

**The memory (CPU4).** The chip's membranes forget within tens of microseconds while a
journey lasts tens of milliseconds, and the emulator does not model the axo-axonic
short-term synapses Schreiber et al. (arXiv 2401.00473) used as CPU4 memory cells. Here
the CPU4 *input* cells compute the integrand (TN2 excitation, TN1 and TB1 inhibition,
plus a tonic current ``i_cpu4_in`` that keeps them off their threshold so their counts
follow the input instead of being rectified at 0); the PPU integrates their spike counts
each step into a 16-bit accumulator per column in its SRAM and writes it, with a
read-out gain of 4 and dithered rounding, as the 6-bit weight of the memory source's
synapse onto CPU4 neuron i. Every step the memory source fires and CPU4 i answers with a
spike count that grows with its weight: the memory lives in the synapse array and the
network reads it there, CPU4 -> CPU1 as in the model. Measured on chip 0 (issue #9):

* with the former gain (0.01, read-out gain 1) the accumulator clipped after ~150 steps
  of straight flight, so the home vector of a 1000-step route (turning point ~300 steps
  out, up to 600) was stored too short and the bees stopped short of the nest. The
  memory gain is now 4x smaller (the accumulator holds ~500 steps of displacement per
  column) and the read-out 4x steeper, so the *weights* saturate far out (the steering
  then only needs the direction) while the memory keeps the length;
* the update keeps only each side's first spatial Fourier component (the sinusoidal CPU4
  bump): the rectified spiking tuning curves carry 2nd and 3rd harmonics (up to 1/3 of
  the fundamental) that integrate into a path-dependent error; the side mean (Stone et
  al.'s zero-mean, holonomic update) drops out with them;
* flow events are stochastically rounded on the PPU, so the expected TN drive is linear
  in the velocity instead of a staircase of ``flow_events`` levels.

**Frame rotation** (chopper stabilisation / dynamic element matching). What remained
was the heading chain's fixed-pattern noise (TL2 -> TB1 -> CPU4 input cells): unequal
gains, shifted tuning and heading-independent count offsets that change with the turning
level; any pattern across a side's 8 columns with a nonzero fundamental integrates into a
false home vector growing with the path, so per-column offsets had to be exact to a few
hundredths of a count (33 % of 100 journeys home with per-phase offsets, chip 0, seed 0).
The circuit is equivariant under a rotation of the 8-column heading frame (see
``kernels/insect_world.h``), so the kernel sends the compass as if the heading were
``heading + f x 45 deg``, reads physical CPU4 input column j as logical column j - f and
writes logical memory column k to physical CPU4 neuron k + f (per side), with f cycling
0..7..0 in blocks of ``frame_block`` steps: each physical column's error visits all
logical columns and its fundamental averages out, and the per-column CPU4 offsets are no
longer needed (with the rotation they changed nothing measurable, so they are gone). TB1
lags a frame jump (10 us time constants against a 35 us step): rotating every step
shrank the stored home vector ~5x, so the frame moves in blocks of 4 steps and the step
after a jump repeats the last settled update. Home-vector error at the turning point
(16 routes of 1000 steps, mean turning distance 277, one complex gain fitted): chip 0
without rotation 45 steps (per-phase offsets), with rotation 26 (no CPU4 offsets; 25 with
them), with rotation and the repeated update 22; the ideal chip 20 without rotation, 18
with both: the rotation brings chip 0 to within a few steps of the ideal chip.

**Motor offset.** A CPU1 left/right imbalance biases every homing turn and the rotation
cannot remove it (it permutes CPU1 within each side); :func:`measure_offsets` measures it
by flying slow circles both ways round with the memory frozen, and the kernel subtracts it
(on chip 0 it is -0.1 counts per step, and 20 journeys home as often without it: kept as a
cheap guard for chips with a larger imbalance).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ppu_firmware import host
from . import anatomy, world
from .rate import Gains

KERNEL = "insect_world"
CHIP_GAINS = Gains(memory_gain=0.0025, memory_weight=1.0, tb1_cpu1=1.0, turn_gain=0.25)
"""Gains of the spiking circuit (hand checks on chip 0): the memory gain is a quarter of the
former 0.01 so that 1000-step routes fit the 16-bit accumulator, the kernel's read-out gain
of 4 restores the former weight change per step; gentler turns than the rate model, whose
spike counts are coarser and noisier."""
MAX_EVENTS_PER_CALL = 254
"""The PPU's spike-out queue (``include/ppu/spikes.h``)."""


@dataclass(frozen=True)
class ChipSettings:
    """Neuron parameters (PyNN units: ms, mV, nA) and synaptic weights (nA) of the
    spiking circuit, the world's step and the conversions of :class:`Gains` to chip
    quantities."""

    step_ms: float = 35.0
    """one world step = one kernel period (biological ms = hardware us)"""
    timestep_ms: float = 0.2
    tau_m: float = 10.0
    tau_syn: float = 10.0
    tau_refrac: float = 1.0
    w_compass_tl2: float = 3.0
    w_tl2_cl1: float = 3.0
    i_cl1: float = 2.5
    """tonic current of CL1 (nA): CL1 fires unless TL2 inhibits it"""
    w_cl1_tb1: float = 2.0
    w_tb1_tb1: float = 1.0
    w_flow_tn2: float = 3.0
    i_tn1: float = 2.5
    """tonic current of TN1 (nA): TN1 fires unless flow inhibits it"""
    w_flow_tn1: float = 2.0
    i_cpu4_in: float = 1.0
    """tonic current of the CPU4 input cells (nA, below the ~1.5 nA rheobase): lifts their
    counts off zero so that the integrand is not rectified (on 6 test journeys of 1000 + 1000
    steps: 4 of 6 home with it, 2 of 6 without)"""
    w_tn2_cpu4: float = 2.0
    w_tn1_cpu4: float = 1.5
    w_tb1_cpu4: float = 1.5
    w_tb1_cpu1: float = 1.5
    """TB1 -> CPU1 weight at tb1_cpu1 = 1"""
    w_memory_cpu4: float = 1.0
    """initial memory weight (the kernel overwrites it at the first step)"""
    w_cpu4_cpu1: float = 2.0
    compass_events: int = 6
    flow_events: int = 8
    memory_events_per_unit: float = 16.0
    """memory-source events per step at memory_weight = 1"""
    cpu4_counts_per_unit: float = 3.0
    """CPU4 spikes per step at integrand 1 (converts memory_gain)"""
    cpu1_counts_per_unit: float = 3.0
    """CPU1 spikes per step at rate 1 (converts turn_gain)"""
    frame_block: int = 4
    """steps per rotation of the heading frame (0: off). TB1 lags a frame jump by about a step, so
    short blocks blur the stored vector (per-step rotation: ~5x shorter), long ones leave the fixed
    pattern of slow heading changes within a cycle (16 blocks). Chip 0, seed 0, 20 journeys of
    1000 + 1000 steps home (before the step after a jump repeated the settled update): 35 % (K = 1,
    with the former CPU4 offsets), 55 % (2), 90 % (4, mean closest approach 6.4), 90 % (8, 10.6),
    60 % (16); 20 % without rotation (with the former per-phase CPU4 offsets); K = 4 with the
    repeated update: 95 % (7.7)"""
    memory_dither: int = 4096
    """dithered rounding of the memory to 6-bit weights, +-4 weight steps (Q15): CPU4 answers
    a burst with a whole number of spikes, one more per ~8 weight steps, so without dither
    a home vector shorter than ~1/4 of the memory range would not reach CPU1"""

    def kernel_parameters(self, gains: Gains) -> dict:
        """The gains as ``insect_world`` parameters."""
        turn = gains.turn_gain / self.cpu1_counts_per_unit * 65536 / (2 * np.pi)
        return {"memory_gain": int(round(gains.memory_gain * 32768 / self.cpu4_counts_per_unit)),
                "turn_gain": int(round(turn)),
                "memory_events": int(round(gains.memory_weight * self.memory_events_per_unit)),
                "compass_events": self.compass_events, "flow_events": self.flow_events,
                "memory_dither": self.memory_dither, "frame_block": self.frame_block}


def frame_schedule(n_steps: int, frame_block: int) -> np.ndarray:
    """Heading-frame rotation (columns, 0..7) of each step as the ``insect_world`` kernel runs it:
    blocks of ``frame_block`` steps go through 0, 1, .., 7, 7, 6, .., 0 (each frame twice per 16
    blocks, as many +1 as -1 jumps); all 0 with ``frame_block = 0``. The compass of step t is sent
    as if the heading were ``heading + 45 deg x frame``."""
    if frame_block == 0:
        return np.zeros(n_steps, np.int64)
    block = (np.arange(n_steps) // frame_block) % 16
    return np.where(block < 8, block, 15 - block)


@dataclass
class ChipJourneys:
    """Outcome of journeys on the chip: trajectory samples (``journeys`` at the sampling
    step), the exact closest approach computed on the PPU every step, the final memory."""

    journeys: world.Journeys
    closest_approach: np.ndarray
    memory: np.ndarray
    sample_every: int
    wall_s: float
    cycles_per_call: int

    def success(self, home_range: float = world.HOME_RANGE) -> np.ndarray:
        return self.closest_approach < home_range


@dataclass(frozen=True)
class CircuitOffsets:
    """Per-chip correction of the circuit, measured by :func:`measure_offsets`: ``motor`` the
    CPU1 left - right count per step with the memory at rest."""

    motor: float

    def kernel_parameters(self) -> dict:
        return {"motor_offset": int(np.clip(np.rint(8 * self.motor), -4096, 4096))}


CALIBRATION_STEPS = 600
CALIBRATION_TURN = 65536 // 600
"""The offset measurement flies one slow circle (1/600 of a turn per step: the velocity lags
the heading by only ~3 degrees, so both TN see cruising flow)."""
CALIBRATION_TRIALS = 4
"""Circles per direction (independent temporal noise)."""


def measure_offsets(gains: Gains, settings: ChipSettings, *, seed: int = 0, chip_id: int = 0, ideal: bool = False,
                    backend: str = "emulator") -> CircuitOffsets:
    """Fly circles at cruising speed both ways round with the memory frozen (memory_gain 0)
    and average the CPU1 left - right count difference over all headings: what remains is
    the chip's fixed-pattern imbalance of the steering, which would bias every homing turn;
    the kernel subtracts it (~10 s on the emulator)."""
    from bss2_experiments import backends
    sim = backends.load(backend)
    motor = []
    for direction in (1, -1):   # both ways round: the velocity's lag behind the heading cancels
        sim.setup(timestep=settings.timestep_ms, chip_id=chip_id, ideal=ideal, seed=seed + 7 + direction,
                  progress=False)
        try:
            _, pops = build(sim, gains, settings, CALIBRATION_STEPS, 1, 0,
                            extra={"memory_gain": 0, "turn_sd": 0, "turn_memory": 0,
                                   "turn_bias": direction * CALIBRATION_TURN})
            result = sim.run_batch(settings.step_ms * (CALIBRATION_STEPS + 1),
                                   inputs={pops["compass"]: [[[]] * 16 for _ in range(CALIBRATION_TRIALS)]})
        finally:
            sim.end()
        counts = result.spike_counts(pops["cpu1"]).mean(axis=0) / CALIBRATION_STEPS
        motor.append(counts[:8].sum() - counts[8:].sum())
    return CircuitOffsets(float(np.mean(motor)))


def _check(n_journeys: int, outbound_steps: int, homing_steps: int) -> None:
    if n_journeys < 1:
        raise ValueError(f"n_journeys = {n_journeys}: need at least one journey")
    if not (1 <= outbound_steps and 1 <= homing_steps and outbound_steps + homing_steps <= 65535):
        raise ValueError(f"outbound_steps = {outbound_steps}, homing_steps = {homing_steps}: both >= 1 and "
                         f"together <= 65535 (the kernel's 16-bit step counter)")


def build(sim, gains: Gains, settings: ChipSettings, outbound_steps: int, homing_steps: int,
          sample_every: int, extra: dict | None = None):
    """Create the network and its PPU rule in the current ``sim`` session; ``extra``:
    further ``insect_world`` parameters (offsets, ...). Returns ``(rule, populations)``."""
    s = settings
    params = {**s.kernel_parameters(gains), **(extra or {})}
    budget = 16 * params["compass_events"] + 2 * params["flow_events"] + params["memory_events"]
    if budget > MAX_EVENTS_PER_CALL:
        raise ValueError(f"the world would send up to {budget} events per step but the PPU queue holds "
                         f"{MAX_EVENTS_PER_CALL}: lower memory_weight ({gains.memory_weight}) or the event counts")
    cell = dict(tau_m=s.tau_m, tau_syn_E=s.tau_syn, tau_syn_I=s.tau_syn, tau_refrac=s.tau_refrac, v_rest=-65.0,
                v_reset=-65.0, v_thresh=-50.0, cm=1.0)
    silent = sim.SpikeSourceArray(spike_times=[])
    src = {name: sim.Population(n, silent, label=name) for name, n in
           (("compass", 16), ("flow", 2), ("memory", 1))}
    pops = {}

    def parameters(rows, columns, event_labels):
        memory_rows = np.flatnonzero(rows[0])
        if memory_rows.size != 1 or rows[1].any():
            raise RuntimeError(f"the memory synapses landed on rows {memory_rows} / {np.flatnonzero(rows[1])}; "
                               f"they need exactly one row of hemisphere 0")
        cols = {name: event_labels(pops[name]) for name in ("cpu4_in", "cpu4", "cpu1")}
        if any(np.any(c >= 256) for c in cols.values()):
            raise RuntimeError("CPU4 and CPU1 must sit on hemisphere 0, whose PPU runs the world")
        return {**params, "outbound_steps": outbound_steps, "homing_steps": homing_steps,
                "sample_every": sample_every, "memory_row": int(memory_rows[0]),
                "compass_labels": event_labels(src["compass"]), "flow_labels": event_labels(src["flow"]),
                "memory_label": int(event_labels(src["memory"])[0]),
                "cpu4_columns": cols["cpu4_in"], "cpu1_columns": cols["cpu1"], "memory_columns": cols["cpu4"]}

    rule = sim.PlasticityRule(kernel=KERNEL, timer=sim.Timer(start=s.step_ms, period=s.step_ms,
                                                             num_periods=outbound_steps + homing_steps),
                              parameters=parameters)
    for name, n in (("tl2", 16), ("cl1", 16), ("tb1", 8), ("tn1", 2), ("tn2", 2), ("cpu4_in", 16), ("cpu4", 16),
                    ("cpu1", 16)):
        tonic = {"cl1": s.i_cl1, "tn1": s.i_tn1, "cpu4_in": s.i_cpu4_in}.get(name, 0.0)
        pops[name] = sim.Population(n, sim.IF_curr_exp(**cell, i_offset=tonic), label=name)

    def connect(pre, post, matrix, weight, receptor, synapse=None):
        post_idx, pre_idx = np.nonzero(np.asarray(matrix))
        conns = [(int(i), int(j), float(weight * matrix[j, i]), s.timestep_ms) for j, i in zip(post_idx, pre_idx)]
        return sim.Projection(pre, post, sim.FromListConnector(conns, column_names=["weight", "delay"]),
                              synapse or sim.StaticSynapse(), receptor_type=receptor)

    eye16, eye2 = np.eye(16), np.eye(2)
    connect(src["compass"], pops["tl2"], eye16, s.w_compass_tl2, "excitatory")
    connect(pops["tl2"], pops["cl1"], eye16, s.w_tl2_cl1, "inhibitory")
    connect(pops["cl1"], pops["tb1"], anatomy.cl1_tb1(), s.w_cl1_tb1, "excitatory")
    connect(pops["tb1"], pops["tb1"], anatomy.tb1_tb1(), s.w_tb1_tb1, "inhibitory")
    connect(src["flow"], pops["tn2"], eye2, s.w_flow_tn2, "excitatory")
    connect(src["flow"], pops["tn1"], eye2, s.w_flow_tn1, "inhibitory")
    connect(pops["tn2"], pops["cpu4_in"], anatomy.tn_cpu4(), s.w_tn2_cpu4, "excitatory")
    connect(pops["tn1"], pops["cpu4_in"], anatomy.tn_cpu4(), s.w_tn1_cpu4, "inhibitory")
    connect(pops["tb1"], pops["cpu4_in"], anatomy.tb1_cpu4(), s.w_tb1_cpu4, "inhibitory")
    connect(src["memory"], pops["cpu4"], np.ones((16, 1)), s.w_memory_cpu4, "excitatory",
            sim.PlasticSynapse(weight=s.w_memory_cpu4, plasticity_rule=rule))
    connect(pops["cpu4"], pops["cpu1"], anatomy.cpu4_cpu1(), s.w_cpu4_cpu1, "excitatory")
    connect(pops["tb1"], pops["cpu1"], anatomy.tb1_cpu1(), gains.tb1_cpu1 * s.w_tb1_cpu1, "inhibitory")
    return rule, {**src, **pops}


def run_journeys(gains: Gains, n_journeys: int, outbound_steps: int, homing_steps: int, *, seed: int = 0,
                 chip_id: int = 0, ideal: bool = False, settings: ChipSettings | None = None,
                 sample_every: int | None = None, backend: str = "emulator", progress: bool = False,
                 offsets: CircuitOffsets | None = None, extra: dict | None = None) -> ChipJourneys:
    """``n_journeys`` independent journeys (trials of one ``run_batch``) on the emulated
    chip: random outbound routes drawn by the PPU, then homing steered by the network.
    ``offsets``: the circuit's corrections (default: measured now, :func:`measure_offsets`);
    ``extra``: further ``insect_world`` parameters (e.g. ``turn_sd=0`` for straight routes)."""
    from bss2_experiments import backends
    _check(n_journeys, outbound_steps, homing_steps)
    settings = settings or ChipSettings()
    total = outbound_steps + homing_steps
    sample_every = sample_every or max(1, int(np.ceil(total / 540)))
    if total // sample_every > 540:
        raise ValueError(f"sample_every = {sample_every}: {total} steps give more than 540 trajectory samples")
    if offsets is None:
        offsets = measure_offsets(gains, settings, seed=seed, chip_id=chip_id, ideal=ideal, backend=backend)
    sim = backends.load(backend)
    sim.setup(timestep=settings.timestep_ms, chip_id=chip_id, ideal=ideal, seed=seed, progress=progress)
    try:
        rule, pops = build(sim, gains, settings, outbound_steps, homing_steps, sample_every,
                           {**offsets.kernel_parameters(), **(extra or {})})
        start = time.perf_counter()
        duration = settings.step_ms * (total + 1)
        result = sim.run_batch(duration, inputs={pops["compass"]: [[[]] * 16 for _ in range(n_journeys)]})
        wall = time.perf_counter() - start
    finally:
        sim.end()
    decoded = [host.decode_mailbox(KERNEL, result.run.plasticity.mailbox[k, 0]) for k in range(n_journeys)]
    n_samples = total // sample_every
    xy = np.stack([np.stack([d["sample_x"][:n_samples], d["sample_y"][:n_samples]], axis=-1) for d in decoded]) / 16.0
    heading = np.stack([d["sample_heading"][:n_samples] for d in decoded]) * (2 * np.pi / 65536)
    closest = np.sqrt(np.array([d["closest"] for d in decoded], float)) / 16.0
    memory = np.stack([d["memory"] for d in decoded]) / 32768.0
    journeys = world.Journeys(xy, world.wrap(heading), outbound_steps // sample_every)
    return ChipJourneys(journeys, closest, memory, sample_every, wall,
                        int(result.run.plasticity.cycles_per_call[KERNEL]))
