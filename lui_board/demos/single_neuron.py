"""Single neuron: a PSP, an IPSP, a spike from a burst, and the f-I curve (output rate over
input pulse rate) of one Lu.i board driven by the probe."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..client import LuiLink
from ..network import Network, Wire
from ..parameters import BoardSettings
from . import plotting
from .session import Stim, play

TITLE = "single neuron: PSP, spike, f-I curve"
SETTINGS = BoardSettings(weight_positions=(0.2, 0.1, 0.1), signs=(1, -1, 1), tau_syn_position=0.3,
                         leak_position=0.1, tau_mem_position=0.5)
FI_RATES_HZ = (4, 8, 12, 16, 24, 32)
FI_START_S, FI_WINDOW_S = 2.5, 1.0
PSP_S, IPSP_S, BURST_S = 0.3, 0.9, 1.5


def network() -> Network:
    """One board: probe outputs 0/1/2 -> inputs 0 (excitatory), 1 (inhibitory), 2 (excitatory)."""
    return Network({"lui": SETTINGS}, [Wire(f"probe:{k}", "lui", k) for k in range(3)],
                   spike_inputs=["lui"], membrane_inputs=["lui"])


def stimuli() -> list[Stim]:
    stims = [Stim(0, PSP_S), Stim(1, IPSP_S)] + [Stim(0, BURST_S + 0.025 * k) for k in range(8)]
    for i, rate in enumerate(FI_RATES_HZ):
        start = FI_START_S + i * FI_WINDOW_S
        stims += [Stim(2, start + k / rate) for k in range(int(FI_WINDOW_S * rate))]
    return stims


def run(link: LuiLink, folder: Path) -> dict:
    """Play the protocol, plot, and return the measured numbers."""
    duration = FI_START_S + len(FI_RATES_HZ) * FI_WINDOW_S + 0.2
    rec, t0_us = play(link, stimuli(), duration)
    t0 = t0_us * 1e-6
    spikes = rec.spike_times_s(0) - t0
    t_s, v_volt = rec.membrane[0]
    t_s = t_s - t0
    rest = float(np.median(v_volt[(t_s > 0.1) & (t_s < PSP_S)]))
    psp = float(v_volt[(t_s > PSP_S) & (t_s < PSP_S + 0.4)].max() - rest)
    ipsp = float(rest - v_volt[(t_s > IPSP_S) & (t_s < IPSP_S + 0.4)].min())
    out_rates = [int(((spikes >= FI_START_S + i * FI_WINDOW_S) & (spikes < FI_START_S + (i + 1) * FI_WINDOW_S)).sum())
                 / FI_WINDOW_S for i in range(len(FI_RATES_HZ))]
    fig, (ax_v, ax_s, ax_fi) = plotting.figure(3)
    plotting.membrane(ax_v, rec, t0, ["lui"])
    for x, text in ((PSP_S, "PSP"), (IPSP_S, "IPSP"), (BURST_S, "burst"), (FI_START_S, "f-I sweep")):
        ax_v.annotate(text, (x, ax_v.get_ylim()[1]), fontsize=8, va="top")
    plotting.raster(ax_s, rec, t0, ["lui spikes"], [s.t_s for s in stimuli() if s.t_s < FI_START_S])
    ax_fi.plot(FI_RATES_HZ, out_rates, "o-")
    ax_fi.set_xlabel("input pulse rate on input 2 [Hz]")
    ax_fi.set_ylabel("output rate [Hz]")
    plotting.save(fig, folder / "single_neuron.png")
    return {"rest_volt": rest, "psp_volt": psp, "ipsp_volt": ipsp,
            "burst_spikes": int(((spikes > BURST_S) & (spikes < FI_START_S)).sum()),
            "fi_input_rate_hz": list(FI_RATES_HZ), "fi_output_rate_hz": out_rates,
            "lost_frames": rec.lost_frames}
