"""Jeffress sound localisation: two counter-running chains of 3 relay boards and 4 coincidence
boards; the interaural delay decides which coincidence board fires (doc/example-networks.md and
doc/figures/example-networks/jeffress_model.tex of github.com/giant-axon/lu.i-neuron-pcb).

Coincidence board C_i hears the left ear after i-1 relay stages and the right ear after 4-i,
so it fires when the right ear lags by (2i - 5) stage delays.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..client import LuiLink
from ..network import Network, Wire
from ..parameters import BoardSettings
from . import plotting
from .session import Stim, play

TITLE = "Jeffress model: the coincidence neuron matching the interaural delay fires"
RELAY = BoardSettings(weight_positions=(0.05, 1.0, 1.0), tau_syn_position=0.5, tau_mem_position=0.5)
COINCIDENCE = BoardSettings(weight_positions=(0.1, 0.1, 1.0), tau_syn_position=0.5, leak_position=0.1,
                            tau_mem_position=0.2)
#: Board-to-board delay of a RELAY chain stage in the circuit model, seconds.
STAGE_DELAY_S = 0.109
TRIAL_S = 1.0
COINCIDENCE_NAMES = ["C1", "C2", "C3", "C4"]


def network() -> Network:
    """Left ear = probe output 0, right ear = probe output 1; the probe watches C1..C4."""
    boards = {**{f"L{k}": RELAY for k in (1, 2, 3)}, **{f"R{k}": RELAY for k in (1, 2, 3)},
              **{c: COINCIDENCE for c in COINCIDENCE_NAMES}}
    wires = [Wire("probe:0", "L1", 0), Wire("L1", "L2", 0), Wire("L2", "L3", 0),
             Wire("probe:1", "R1", 0), Wire("R1", "R2", 0), Wire("R2", "R3", 0),
             Wire("probe:0", "C1", 0), Wire("L1", "C2", 0), Wire("L2", "C3", 0), Wire("L3", "C4", 0),
             Wire("R3", "C1", 1), Wire("R2", "C2", 1), Wire("R1", "C3", 1), Wire("probe:1", "C4", 1)]
    return Network(boards, wires, spike_inputs=COINCIDENCE_NAMES, membrane_inputs=["C1", "C4"])


def expected_neuron(delay_s: float, stage_delay_s: float = STAGE_DELAY_S) -> int:
    """Index (0..3) of the coincidence board whose two paths differ by ``delay_s`` (right - left)."""
    return int(np.clip(np.round((delay_s / stage_delay_s + 5) / 2), 1, 4)) - 1


def run(link: LuiLink, folder: Path, stage_delay_s: float = STAGE_DELAY_S) -> dict:
    """One trial per interaural delay (-3, -1, +1, +3 stage delays); report who fired."""
    delays = [k * stage_delay_s for k in (-3, -1, 1, 3)]
    stims, starts = [], []
    for i, d in enumerate(delays):
        start = 0.2 + i * TRIAL_S + max(0.0, -d)
        starts.append(0.2 + i * TRIAL_S)
        stims += [Stim(0, start), Stim(1, start + d)]
    rec, t0_us = play(link, stims, len(delays) * TRIAL_S + 0.3, sample_channels=(0, 1))
    t0 = t0_us * 1e-6
    winners = []
    for start in starts:
        counts = [int(((rec.spike_times_s(k) - t0 >= start) & (rec.spike_times_s(k) - t0 < start + TRIAL_S)).sum())
                  for k in range(4)]
        winners.append([COINCIDENCE_NAMES[k] for k, c in enumerate(counts) if c])
    fig, (ax_v, ax_s, ax_map) = plotting.figure(3)
    plotting.membrane(ax_v, rec, t0, ["C1", "C4"])
    plotting.raster(ax_s, rec, t0, COINCIDENCE_NAMES, [s.t_s for s in stims])
    for d, names in zip(delays, winners):
        ax_map.plot([d * 1e3] * len(names), [COINCIDENCE_NAMES.index(n) for n in names], "s", ms=12)
    ax_map.set_xticks([d * 1e3 for d in delays])
    ax_map.set_yticks(range(4), COINCIDENCE_NAMES)
    ax_map.set_xlabel("interaural delay, right - left [ms]")
    ax_map.set_ylabel("neuron that fired")
    plotting.save(fig, folder / "jeffress.png")
    return {"interaural_delay_s": delays, "fired": winners,
            "expected": [COINCIDENCE_NAMES[expected_neuron(d, stage_delay_s)] for d in delays],
            "lost_frames": rec.lost_frames}
