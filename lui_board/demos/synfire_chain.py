"""Synfire chain: a spike travels from board to board (doc/example-networks.md of
github.com/giant-axon/lu.i-neuron-pcb)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..client import LuiLink
from ..network import Network, Wire
from ..parameters import BoardSettings
from . import plotting
from .session import Stim, play

TITLE = "synfire chain: a spike travelling board to board"
N_BOARDS = 4
RELAY = BoardSettings(weight_positions=(0.05, 1.0, 1.0), tau_syn_position=0.5, tau_mem_position=0.5)
STIM_S = (0.2, 1.2)


def network() -> Network:
    """Probe output 0 -> b1 -> b2 -> b3 -> b4; the probe watches every board's spikes."""
    names = [f"b{k + 1}" for k in range(N_BOARDS)]
    wires = [Wire("probe:0", names[0], 0)] + [Wire(a, b, 0) for a, b in zip(names, names[1:])]
    return Network({n: RELAY for n in names}, wires, spike_inputs=names, membrane_inputs=names[:2])


def run(link: LuiLink, folder: Path) -> dict:
    """One kick per wave; report the arrival time at each board."""
    rec, t0_us = play(link, [Stim(0, t) for t in STIM_S], 2.0, sample_channels=(0, 1))
    t0 = t0_us * 1e-6
    names = network().spike_inputs
    arrivals = [[float(x) for x in rec.spike_times_s(k) - t0] for k in range(N_BOARDS)]
    fig, (ax_v, ax_s) = plotting.figure(2)
    plotting.membrane(ax_v, rec, t0, names)
    plotting.raster(ax_s, rec, t0, names, STIM_S)
    plotting.save(fig, folder / "synfire_chain.png")
    first_wave = [min((t for t in a if STIM_S[0] < t < STIM_S[1]), default=np.nan) for a in arrivals]
    return {"spike_times_s": dict(zip(names, arrivals)),
            "stage_delays_s": [float(d) for d in np.diff([STIM_S[0], *first_wave])],
            "lost_frames": rec.lost_frames}
