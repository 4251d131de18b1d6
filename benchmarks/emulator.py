"""Wall time of the emulator on two reference workloads (hardware time, chip interface level).

(a) the full chip: 512 neurons, all 131,072 synapses in use, 256 Poisson inputs at 20 Hz
    biological (20 kHz hardware), 1 ms hardware (= 1 s biological);
(b) 1000 independent trials of a 25-120-3 feed-forward network, 50 us hardware each;
(c) a closed loop on the PPU: 4 trials of 32 inputs -> 32 neurons all-to-all, a kernel
    called 200 times (every 5 us) sends 8 events into the routing per call.

Reference figures on this machine class (shared/notes/peers.md): (a) takes ~1.2 s in NEST
through PyNN and ~0.23 s as a bare numpy Euler loop. Run: ``python -m benchmarks.emulator``.
"""
from __future__ import annotations

import time

import numpy as np

from emulator.chip import Emulator
from emulator.interface import (N_ROWS, ChipConfiguration, EventRouting, PlasticityProgram, PlasticityTimer,
                                RowMode, Stimulus)

NEST_FULL_CHIP_S = 1.2
NUMPY_FLOOR_FULL_CHIP_S = 0.23


def spiking_neurons(cfg: ChipConfiguration, neurons: np.ndarray) -> None:
    """Leak 80, threshold ~125, reset 70 CADC LSB (nominal DACs), inputs on."""
    n = cfg.neurons
    n.leak_v_leak[neurons] = 214
    n.threshold_v_threshold[neurons] = 322
    n.reset_v_reset[neurons] = 190
    for name in ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable"):
        getattr(n, name)[neurons] = True


def full_chip(rng: np.random.Generator) -> tuple[ChipConfiguration, Stimulus, float]:
    cfg = ChipConfiguration()
    spiking_neurons(cfg, np.arange(512))
    cfg.synapses.weights[:] = rng.integers(0, 64, cfg.synapses.weights.shape)
    cfg.synapses.row_modes[:] = np.where(np.arange(N_ROWS) % 4 == 3, RowMode.INHIBITORY, RowMode.EXCITATORY)
    cfg.routing = EventRouting.from_entries([(i, h, i, 0) for h in range(2) for i in range(N_ROWS)])
    cfg.neurons.event_output_enable[:] = False
    duration_us = 1000.0
    rate_per_us = 20.0 / 1000.0                         # 20 Hz biological = 20 kHz hardware
    n_events = rng.poisson(rate_per_us * duration_us * N_ROWS)
    times = np.sort(rng.uniform(0, duration_us, n_events))
    return cfg, Stimulus.single(times, rng.integers(0, N_ROWS, n_events)), duration_us


def feed_forward(rng: np.random.Generator, n_trials: int) -> tuple[ChipConfiguration, Stimulus, float]:
    cfg = ChipConfiguration()
    hidden, output = np.arange(120), 256 + np.arange(3)
    spiking_neurons(cfg, np.concatenate([hidden, output]))
    syn = cfg.synapses
    w_in = rng.normal(0, 25, (25, 120)).round().clip(-63, 63).astype(int)
    w_out = rng.normal(0, 25, (120, 3)).round().clip(-63, 63).astype(int)
    routes = []
    for i in range(25):                                  # inputs: exc rows 0..24, inh rows 25..49 of hemisphere 0
        syn.weights[0, i, hidden] = np.maximum(w_in[i], 0)
        syn.weights[0, 25 + i, hidden] = np.maximum(-w_in[i], 0)
        syn.row_modes[0, i], syn.row_modes[0, 25 + i] = RowMode.EXCITATORY, RowMode.INHIBITORY
        routes += [(1000 + i, 0, i, 0), (1000 + i, 0, 25 + i, 0)]
    for j in range(120):                                 # hidden -> output: rows j, 120 + j of hemisphere 1
        syn.weights[1, j, output - 256] = np.maximum(w_out[j], 0)
        syn.weights[1, 120 + j, output - 256] = np.maximum(-w_out[j], 0)
        syn.row_modes[1, j], syn.row_modes[1, 120 + j] = RowMode.EXCITATORY, RowMode.INHIBITORY
        routes += [(j, 1, j, 0), (j, 1, 120 + j, 0)]
    cfg.routing = EventRouting.from_entries(routes)
    duration_us = 50.0
    trials = []
    for _ in range(n_trials):
        t = np.sort(rng.uniform(2.0, 30.0, 25))
        trials.append((t, 1000 + np.argsort(np.argsort(t))))
    return cfg, Stimulus.from_trials(trials), duration_us


def ppu_loop(calls: int, n_trials: int) -> tuple[ChipConfiguration, Stimulus, float]:
    cfg = ChipConfiguration()
    spiking_neurons(cfg, np.arange(32))
    cfg.synapses.weights[0, :32, :32] = 14
    cfg.synapses.row_modes[0, :32] = RowMode.EXCITATORY
    cfg.routing = EventRouting.from_entries([(600 + r, 0, r, 0) for r in range(32)])
    period_us = 5.0
    cfg.plasticity = (PlasticityProgram("spike_train", PlasticityTimer(1.0, period_us, calls),
                                        {"count": 8, "labels": 600}, hemispheres=(0,)),)
    return cfg, Stimulus.empty(n_trials), calls * period_us + 2.0


def timed(chip: Emulator, cfg, stim, duration_us, repeats: int = 3) -> tuple[float, object]:
    chip.run(cfg, stim, duration_us, seed=0)              # compile / warm caches
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = chip.run(cfg, stim, duration_us, seed=0)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    rng = np.random.default_rng(1234)
    chip = Emulator(chip_id=0)
    cfg, stim, duration = full_chip(rng)
    wall_a, res_a = timed(chip, cfg, stim, duration)
    print(f"(a) full chip, 512 neurons, 131072 synapses, {stim.time_us.size} input events, 1 ms hardware: "
          f"{wall_a:.3f} s wall, {res_a.spikes.time_us.size} spikes; "
          f"NEST/emulator = {NEST_FULL_CHIP_S / wall_a:.1f}x, numpy floor/emulator = {NUMPY_FLOOR_FULL_CHIP_S / wall_a:.2f}x")
    cfg, stim, duration = feed_forward(rng, 1000)
    wall_b, res_b = timed(chip, cfg, stim, duration)
    print(f"(b) 1000 trials of 25-120-3, 50 us hardware each: {wall_b:.3f} s wall, "
          f"{res_b.spikes.time_us.size} spikes ({wall_b / 1000 * 1e3:.2f} ms per trial)")
    cfg, stim, duration = ppu_loop(200, 4)
    wall_c, res_c = timed(chip, cfg, stim, duration)
    print(f"(c) PPU closed loop, 4 trials x 200 kernel calls: {wall_c:.3f} s wall, "
          f"{res_c.spikes.time_us.size} spikes ({wall_c / 800 * 1e3:.2f} ms per call)")


if __name__ == "__main__":
    main()
