"""Shared plumbing of the classroom demos: a link to a probe (real or simulated), a stimulus
player that respects the probe's pulse queue, and the run folder for results."""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from ..client import LuiLink, Recording
from ..device import PULSE_QUEUE_LEN
from ..network import Network
from ..simulator import PtySimulator

#: Lu.i output pulses last ~15.5 ms; probe pulses of the same width weigh the same
#: (doc/electronic-interface.md of github.com/giant-axon/lu.i-neuron-pcb recommends ~15 ms).
PULSE_MS = 16.0
#: How far ahead of the probe clock stimuli are scheduled, microseconds.
LEAD_US = 100_000


@dataclass(frozen=True)
class Stim:
    """One probe pulse: output ``channel`` at ``t_s`` seconds after the start of the demo."""

    channel: int
    t_s: float
    width_ms: float = PULSE_MS


@contextlib.contextmanager
def open_link(network: Network, port: str | None, speed: float = 4.0) -> Iterator[LuiLink]:
    """A link to the probe on ``port``; without a port, to a simulated probe with ``network``
    behind it (on a pseudo-terminal, through the same protocol)."""
    if port:
        with LuiLink(port) as link:
            yield link
        return
    with PtySimulator(network, speed=speed) as sim, LuiLink(sim.port, timeout_s=5.0) as link:
        yield link


def play(link: LuiLink, stims: Sequence[Stim], duration_s: float, sample_channels: tuple[int, ...] = (0,),
         sample_rate_hz: int = 1000) -> tuple[Recording, int]:
    """Send ``stims`` on time, record for ``duration_s``; return the recording and the probe
    time (microseconds) that corresponds to t = 0 of the stimulus schedule."""
    link.set_sample_rate(sample_rate_hz)
    link.start_sampling(sample_channels)
    t0_us = link.device_time_us() + LEAD_US
    pending = sorted(stims, key=lambda s: s.t_s)
    queued_ends: list[int] = []
    events = []
    end_us = t0_us + int(duration_s * 1e6)
    while link.t_device_us < end_us or pending:
        now = link.t_device_us
        queued_ends = [e for e in queued_ends if e > now]
        while pending and len(queued_ends) < PULSE_QUEUE_LEN - 2:
            s = pending.pop(0)
            start = t0_us + int(s.t_s * 1e6)
            link.pulse(s.channel, s.width_ms, at_us=start)
            queued_ends.append(start + int(s.width_ms * 1000))
        events += link.poll(0.05)
        link.device_time_us()
    link.stop_sampling()
    events += link.poll(0.05)
    return Recording.from_events(events, link.lost_frames), t0_us


def run_folder(out: str | Path | None, demo: str) -> Path:
    """The folder results go to: ``out`` or ``runs/lui/<demo>-<UTC time>``."""
    path = Path(out) if out else Path("runs") / "lui" / f"{demo}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_summary(folder: Path, summary: dict) -> Path:
    """Write ``summary.json`` (numbers the demo measured) into ``folder``."""
    path = folder / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=float))
    return path
