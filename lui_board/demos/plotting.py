"""Plot helpers shared by the demos (matplotlib, any backend; demos save PNGs)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..client import Recording


def figure(rows: int, height_per_row: float = 2.2):
    """A figure with ``rows`` stacked axes sharing nothing (demos set their own limits)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(rows, 1, figsize=(9, height_per_row * rows + 0.6), squeeze=False)
    return fig, axes[:, 0]


def membrane(ax, rec: Recording, t0_s: float, labels: Sequence[str]) -> None:
    """Membrane voltage of each sampled ADC channel, in volts over seconds since the start."""
    for ch, (t_s, v_volt) in sorted(rec.membrane.items()):
        ax.plot(t_s - t0_s, v_volt, lw=1, label=f"{labels[ch]} membrane")
    ax.set_ylabel("V_mem [V]")
    ax.legend(loc="upper right", fontsize=8)


def raster(ax, rec: Recording, t0_s: float, labels: Sequence[str], stim_times_s: Sequence[float] = ()) -> None:
    """Spikes of each probe spike input as a raster; probe stimuli as grey lines."""
    for t in stim_times_s:
        ax.axvline(t, color="0.8", lw=0.8)
    for ch in range(len(labels)):
        t = rec.spike_times_s(ch) - t0_s
        ax.plot(t, np.full(t.shape, ch), "|", ms=14, mew=2)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlabel("time [s]")


def save(fig, path) -> None:
    """Save and close ``fig``."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
