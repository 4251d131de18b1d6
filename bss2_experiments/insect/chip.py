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

What remains is fixed-pattern noise: the integrand's gain varies by ~+-18 % with the
heading on chip 0 (straight 300-step flights in four directions), which turns winding
routes into direction errors of up to ~30 degrees at the turning point, while the ideal
chip decodes the same routes within ~12 degrees; and the CPU4 input counts drop by
~0.3-1.2 per step, unequally per column, when the bee turns, so offsets measured on smooth
circles leave a drift on winding routes. Together ~10 % of the path: on 100 journeys of
1000 + 1000 steps (chip 0, seed 0) 20 % reach the home range (11 % before), against 9 of
10 journeys on the ideal chip.

**Offsets.** A heading-independent CPU4 input count (fixed-pattern noise) would integrate
into a false home vector that grows with the path length, and a CPU1 left/right
imbalance biases every homing turn; :func:`measure_offsets` measures both once per
network by flying slow circles both ways round (the homing condition: smooth flight) and
winding routes with the outbound turn statistics (:func:`winding_offsets`), and the kernel
subtracts the winding offsets on the outbound route and the circle offsets while homing
(as the STDP kernels subtract per-column sensor offsets). The offsets must be exact to a
few hundredths of a count per step: a 1000-step route is ~850 steps long and an offset
fundamental of delta counts drifts the memory by ~delta / 2 of it. On 16 routes of 1000
steps (chip 0) the stored home vector's error at the turning point fell from 58 to 39 steps
(mean distance 277) with the winding offsets (measured with 4 calibration routes).
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
                "memory_dither": self.memory_dither}


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
    """Per-chip corrections of the circuit, measured by :func:`measure_offsets`:
    ``cpu4`` (16,) the CPU4 input counts' deviation from their side's mean in smooth flight
    (circles: the homing condition), ``cpu4_outbound`` (16,) the same on winding outbound
    routes, and ``motor`` the CPU1 left - right count, all with the memory at rest (spike
    counts per step)."""

    cpu4: np.ndarray
    cpu4_outbound: np.ndarray
    motor: float

    def kernel_parameters(self) -> dict:
        def q3(x):
            return np.clip(np.rint(8 * np.asarray(x)), -2048, 2048).astype(np.int64)
        return {"cpu4_offset": q3(self.cpu4), "cpu4_offset_outbound": q3(self.cpu4_outbound),
                "motor_offset": int(np.clip(np.rint(8 * self.motor), -4096, 4096))}


CALIBRATION_STEPS = 600
CALIBRATION_TURN = 65536 // 600
"""The offset measurement flies one slow circle (1/600 of a turn per step: the velocity lags
the heading by only ~3 degrees, so both TN see cruising flow)."""
CALIBRATION_TRIALS = 4
"""Circles per direction (independent temporal noise): the offsets must be exact to a few
hundredths of a count, since a side fundamental of delta counts per step drifts the memory
by ~delta / 2 of the path (tuning amplitude ~2 counts) and a 1000-step route is ~850 steps long."""
WINDING_ROUTES = 16
WINDING_STEPS = 520
"""Winding calibration: 16 outbound routes of 520 steps (one trajectory sample per step); with
4 routes the offsets measured with different seeds sent 15 % or 75 % of 20 journeys home."""


def _side_deviation(counts: np.ndarray) -> np.ndarray:
    return counts - np.repeat(counts.reshape(2, 8).mean(axis=1), 8)


def winding_offsets(sim, gains: Gains, settings: ChipSettings) -> np.ndarray:
    """The CPU4 input offsets on winding routes (the outbound route's turn statistics, memory
    frozen), in the current ``sim`` session: per column, a least-squares fit of the count per
    step to ``o + a cos(heading) + b sin(heading)`` (a winding route does not visit all
    headings equally, so a plain mean would keep part of the tuning); returns ``o`` minus its
    side's mean. On chip 0 these differ from the circles' by up to 0.26 counts per step,
    whose side fundamentals (0.17 and 0.09 counts against a tuning amplitude of ~2) integrate
    into a drift of ~5-10 % of the path on winding routes (issue #9)."""
    s = settings
    _, pops = build(sim, gains, s, WINDING_STEPS, 1, 1, extra={"memory_gain": 0})
    result = sim.run_batch(s.step_ms * (WINDING_STEPS + 2),
                           inputs={pops["compass"]: [[[]] * 16 for _ in range(WINDING_ROUTES)]})
    edges = s.step_ms * np.arange(1, WINDING_STEPS + 2)   # bin k: the counts of the heading sent at step k
    skip = 20                                             # the body starts at rest
    heading, counts = [], []
    for k, trains in enumerate(result.spike_times(pops["cpu4_in"])):
        d = host.decode_mailbox(KERNEL, result.run.plasticity.mailbox[k, 0])
        heading.append(d["sample_heading"][skip:WINDING_STEPS] * (2 * np.pi / 65536))
        counts.append(np.array([np.histogram(t, bins=edges)[0][skip:] for t in trains], float))
    heading, counts = np.concatenate(heading), np.concatenate(counts, axis=1)
    design = np.stack([np.ones_like(heading), np.cos(heading), np.sin(heading)], axis=1)
    coefficients = np.linalg.lstsq(design, counts.T, rcond=None)[0]
    return _side_deviation(coefficients[0])


def measure_offsets(gains: Gains, settings: ChipSettings, *, seed: int = 0, chip_id: int = 0, ideal: bool = False,
                    backend: str = "emulator") -> CircuitOffsets:
    """Fly circles at cruising speed with the memory frozen (memory_gain 0) and average
    the counts of the CPU4 inputs and the CPU1 left - right difference over all headings:
    what remains is the chip's fixed-pattern offset of the circuit (a heading-independent
    CPU4 count would integrate into a false home vector growing with the path length, a
    CPU1 imbalance would bias every homing turn); then the CPU4 input offsets on winding
    routes (:func:`winding_offsets`), which differ because the counts drop while the bee
    turns. Like the per-column sensor offsets of the STDP kernels, the kernel subtracts
    them (~25 s on the emulator)."""
    from bss2_experiments import backends
    sim = backends.load(backend)
    cpu4, motor = [], []
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
        cpu4.append(result.spike_counts(pops["cpu4_in"]).mean(axis=0) / CALIBRATION_STEPS)
        counts = result.spike_counts(pops["cpu1"]).mean(axis=0) / CALIBRATION_STEPS
        motor.append(counts[:8].sum() - counts[8:].sum())
    sim.setup(timestep=settings.timestep_ms, chip_id=chip_id, ideal=ideal, seed=seed + 11, progress=False)
    try:
        outbound = winding_offsets(sim, gains, settings)
    finally:
        sim.end()
    return CircuitOffsets(_side_deviation(np.mean(cpu4, axis=0)), outbound, float(np.mean(motor)))


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
