"""Live view of a probe: membrane trace and spikes, refreshed while samples stream in.

With an interactive matplotlib backend the window updates in place; with a non-interactive one
(``MPLBACKEND=Agg``, CI) the same loop runs and only the final PNG is written.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .client import LuiLink, Recording

WINDOW_S = 5.0
REFRESH_S = 0.1


def monitor(port: str, duration_s: float | None, out_png: Path, rate_hz: int = 500) -> Recording:
    """Stream from the probe on ``port`` for ``duration_s`` seconds (``None``: until Ctrl-C),
    showing the last :data:`WINDOW_S` seconds; save the final view to ``out_png``."""
    import matplotlib
    import matplotlib.pyplot as plt

    interactive = matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo", "template")
    fig, (ax_v, ax_s) = plt.subplots(2, 1, figsize=(9, 5), sharex=True, height_ratios=(3, 1))
    line, = ax_v.plot([], [], lw=1)
    ax_v.set_ylabel("V_mem [V]")
    ax_v.set_ylim(-0.05, 2.0)
    spikes_plot, = ax_s.plot([], [], "|", ms=14, mew=2)
    ax_s.set_yticks([])
    ax_s.set_xlabel("probe time [s]")
    events = []
    with LuiLink(port) as link:
        info = link.identify()
        fig.suptitle(f"{info.name} on {port}")
        link.set_sample_rate(rate_hz)
        link.start_sampling((0,))
        if interactive:
            plt.ion()
            plt.show()
        t_end = None if duration_s is None else time.monotonic() + duration_s
        try:
            while t_end is None or time.monotonic() < t_end:
                events += link.poll(REFRESH_S)
                rec = Recording.from_events(events, link.lost_frames)
                if 0 in rec.membrane:
                    t_s, v_volt = rec.membrane[0]
                    keep = t_s > t_s[-1] - WINDOW_S
                    line.set_data(t_s[keep], v_volt[keep])
                    ax_v.set_xlim(max(t_s[-1] - WINDOW_S, 0.0), max(t_s[-1], WINDOW_S))
                    spk = rec.spike_times_s(0)
                    spikes_plot.set_data(spk, np.zeros_like(spk))
                if interactive:
                    plt.pause(0.001)
        except KeyboardInterrupt:
            pass
        link.stop_sampling()
        rec = Recording.from_events(events + link.poll(0.05), link.lost_frames)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    ax_v.set_title(f"lost frames: {rec.lost_frames}", fontsize=8, loc="right")
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return rec
