"""The PPU side of a run: timer, mailbox and calls of the compiled firmware kernels.

Each hemisphere has its own PPU (libnux ``dls.h``: ``PPUOnDLS`` top/bottom). At every tick
of a program's timer the emulator stops the analog integration, hands each selected PPU
its hemisphere as the firmware's HAL sees it (weights, labels, correlation reads through
the CADC, 8-bit rate counters, CADC samples of the membranes, the mailbox, the PPU clock)
and runs the kernel: the real C code of ``ppu_firmware`` through its host library. What
the kernel wrote (weights, labels, counter and sensor resets, mailbox) takes effect for
the rest of the run. Kernel run time is the firmware's cycle count at 250 MHz; a timer
period shorter than that is refused.

Events a kernel sends (``hal_send_spike``, libnux ``spikes.h``) enter the event routing
like external input: each is delivered when the kernel call that queued it ends (PPU
clock at return), with its 14-bit label looked up in the routing table. This is how a
kernel closes a loop on the chip: an environment (game, world) on the PPU stimulates the
network, reads its rate counters and acts, with no host in between.
"""
from __future__ import annotations

import numpy as np

from ppu_firmware import host
from ppu_firmware.errors import PPUError

from .correlation import CorrelationSensors
from .errors import PlasticityError
from .interface import N_COLUMNS, N_HEMISPHERES, PlasticityProgram


def validate_program(program: PlasticityProgram, duration_us: float, dt_us: float) -> int:
    """Check a program against the firmware and the run; returns the estimated cycles of
    one kernel call."""
    try:
        host.encode_parameters(program.kernel, program.parameters)
        cycles = int(host.estimate_cycles(program.kernel, program.parameters))
    except PPUError as error:
        raise PlasticityError(str(error)) from error
    timer = program.timer
    if not set(program.hemispheres) <= set(range(N_HEMISPHERES)) or not program.hemispheres:
        raise PlasticityError(f"hemispheres must be a non-empty subset of (0, 1), got {program.hemispheres}")
    if timer.num_periods < 1 or timer.start_us < 0 or timer.period_us <= 0:
        raise PlasticityError(f"timer {timer}: needs start_us >= 0, period_us > 0 and num_periods >= 1")
    run_time_us = cycles / host.PPU_CYCLES_PER_US
    if timer.period_us < max(run_time_us, dt_us):
        raise PlasticityError(
            f"kernel '{program.kernel}' runs ~{run_time_us:.2f} us ({cycles} PPU cycles at 250 MHz) but its timer "
            f"period is {timer.period_us} us; use a period of at least {max(run_time_us, dt_us):.2f} us")
    if timer.start_us >= duration_us:
        raise PlasticityError(f"timer starts at {timer.start_us} us, after the run ends ({duration_us} us)")
    return cycles


def call_steps(program: PlasticityProgram, duration_us: float, dt_us: float) -> np.ndarray:
    """Integration steps (on the dt grid) at which the kernel runs, inside the run."""
    t = program.timer
    times = t.start_us + t.period_us * np.arange(t.num_periods)
    steps = np.unique(np.rint(times[times < duration_us] / dt_us).astype(np.int64))
    return steps[steps * dt_us < duration_us]


class PPUPair:
    """The two PPUs of one trial: their mailboxes and clocks persist across calls."""

    def __init__(self, program: PlasticityProgram, seed: int):
        self.program = program
        mailbox = host.encode_parameters(program.kernel, program.parameters)
        self.mailbox = np.stack([mailbox] * N_HEMISPHERES)
        self.time_cycles = np.zeros(N_HEMISPHERES, np.uint64)
        self.rng_state = np.array([(seed * 2654435761 + 1 + h) % 2**32 or 1 for h in range(N_HEMISPHERES)], np.uint32)
        self.cycles_per_call: list[int] = []
        self.calls = 0
        self.events_sent = np.zeros(N_HEMISPHERES, np.int64)

    def call(self, time_us: float, weights: np.ndarray, labels: np.ndarray, sensors: CorrelationSensors,
             correlation_reads: tuple[np.ndarray, np.ndarray], rate_counters: np.ndarray,
             membrane_cadc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run the kernel on each selected hemisphere; ``weights``, ``labels`` (2, 256, 256)
        and ``rate_counters`` (512,) are updated in place, sensor resets applied.

        Returns the events the kernels sent: (delivery time in hardware us, 14-bit label),
        in the order they were sent, hemisphere 0 first."""
        causal, acausal = correlation_reads
        sent_time_us, sent_label = [], []
        for h in self.program.hemispheres:
            cols = slice(h * N_COLUMNS, (h + 1) * N_COLUMNS)
            self.time_cycles[h] = max(int(self.time_cycles[h]), int(time_us * host.PPU_CYCLES_PER_US))
            state = host.PPUState(
                weights=weights[h], labels=labels[h], causal=causal[h].copy(), acausal=acausal[h].copy(),
                rate_counters=rate_counters[cols].copy(), cadc=membrane_cadc[cols].copy(), mailbox=self.mailbox[h],
                time_cycles=int(self.time_cycles[h]), rng_state=int(self.rng_state[h]))
            cycles = host.run_kernel(self.program.kernel, state)
            self.cycles_per_call.append(int(cycles))
            self.time_cycles[h] = state.time_cycles
            self.rng_state[h] = state.rng_state
            rate_counters[cols] = state.rate_counters
            sensors.reset(h, np.flatnonzero(state.corr_reset))
            labels_sent = state.spikes_out()
            state.clear_spikes_out()
            self.events_sent[h] += labels_sent.size
            sent_label.append(labels_sent)
            sent_time_us.append(np.full(labels_sent.size, state.time_cycles / host.PPU_CYCLES_PER_US))
        self.calls += 1
        if not sent_label:
            return np.zeros(0), np.zeros(0, np.int64)
        return np.concatenate(sent_time_us), np.concatenate(sent_label)
