"""Ring attractor: three self-exciting orientation boards O1..O3, each silenced by its pool
board P_k (driven by the other two orientations); a "turn" pulse moves the activity one step
through switch boards S_k (turn AND O_k -> O_{k+1}). After doc/figures/example-networks/
ring_attractor.png of github.com/giant-axon/lu.i-neuron-pcb; in this variant S_k also kicks P_k
so the old orientation is released promptly (10 boards, as in the figure)."""
from __future__ import annotations

from pathlib import Path


from ..client import LuiLink
from ..network import Network, Wire
from ..parameters import BoardSettings
from . import plotting
from .session import Stim, play

TITLE = "ring attractor: a bump of activity moved by turn pulses"
ORIENTATION = BoardSettings(weight_positions=(0.05, 0.1, 0.0), signs=(1, -1, 1), tau_syn_position=0.5,
                            tau_mem_position=0.5)
POOL = BoardSettings(weight_positions=(0.15, 0.15, 0.0), tau_syn_position=0.3, tau_mem_position=0.5)
SWITCH = BoardSettings(weight_positions=(0.05, 0.3, 0.0), tau_syn_position=0.3, tau_mem_position=0.35)
TURN = BoardSettings(weight_positions=(0.0, 1.0, 1.0), tau_syn_position=0.3)
START_S, TURNS_S, DURATION_S = 0.1, (1.5, 3.0, 4.5), 6.0
LABELS = ["O1", "O2", "O3", "turn"]


def network() -> Network:
    """Probe output 0 -> turn board, output 1 -> S3 (start: activates O1)."""
    boards: dict[str, BoardSettings] = {"turn": TURN}
    wires = [Wire("probe:0", "turn", 0), Wire("probe:1", "S3", 2)]
    for k in range(1, 4):
        nxt, prev, other = k % 3 + 1, (k - 2) % 3 + 1, (k + 1) % 3 + 1
        boards.update({f"O{k}": ORIENTATION, f"P{k}": POOL, f"S{k}": SWITCH})
        wires += [Wire(f"O{k}", f"O{k}", 0), Wire(f"P{k}", f"O{k}", 1), Wire(f"S{prev}", f"O{k}", 2),
                  Wire(f"O{nxt}", f"P{k}", 0), Wire(f"O{other}", f"P{k}", 1), Wire(f"S{k}", f"P{k}", 2),
                  Wire("turn", f"S{k}", 0), Wire(f"O{k}", f"S{k}", 1)]
    return Network(boards, wires, spike_inputs=LABELS, membrane_inputs=["O1", "O2"])


def run(link: LuiLink, folder: Path) -> dict:
    """Start at O1, turn three times; report which orientation is active before each turn."""
    stims = [Stim(1, START_S)] + [Stim(0, t) for t in TURNS_S]
    rec, t0_us = play(link, stims, DURATION_S, sample_channels=(0, 1))
    t0 = t0_us * 1e-6
    windows = [(t - 0.6, t) for t in (*TURNS_S, DURATION_S)]
    active = []
    for a, b in windows:
        counts = [int(((rec.spike_times_s(k) - t0 >= a) & (rec.spike_times_s(k) - t0 < b)).sum()) for k in range(3)]
        active.append([LABELS[k] for k, c in enumerate(counts) if c])
    fig, (ax_v, ax_s) = plotting.figure(2)
    plotting.membrane(ax_v, rec, t0, ["O1", "O2"])
    plotting.raster(ax_s, rec, t0, LABELS, [s.t_s for s in stims])
    plotting.save(fig, folder / "ring_attractor.png")
    return {"active_before_each_turn": active, "turn_times_s": list(TURNS_S),
            "spike_counts": {n: int(rec.spike_times_s(k).size) for k, n in enumerate(LABELS)},
            "lost_frames": rec.lost_frames}
