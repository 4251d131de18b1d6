"""Boards wired together with jumper cables, plus the probe's connections.

A wire runs from a source (a board's axon header J4 or a probe pulse output) to one synapse
input of a board. An input sees a pulse while its source is above the input NMOS threshold
(1.8 V, doc/electronic-interface.md of github.com/giant-axon/lu.i-neuron-pcb), so a board
with a flat battery may fail to drive the next one, as on the real bench.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .model import DT_S, BoardArray, pulses_to_mask
from .parameters import INPUT_THRESHOLD_VOLT, BoardSettings

#: Level of the probe's pulse outputs (3.3 V microcontroller), volts.
PROBE_OUTPUT_VOLT = 3.3


@dataclass(frozen=True)
class Wire:
    """A jumper cable: ``source`` is ``"probe:K"`` or a board name, ``target`` a board name,
    ``channel`` the synapse input 0..2 (board labels INPUT_0, INPUT_1, INPUT_3)."""

    source: str
    target: str
    channel: int


@dataclass
class Network:
    """Named boards, the wires between them, and what the probe observes.

    ``spike_inputs[k]`` names the board whose axon output feeds probe spike input k;
    ``membrane_inputs[k]`` the board whose MEM pad feeds probe ADC channel k.
    """

    boards: dict[str, BoardSettings]
    wires: list[Wire] = field(default_factory=list)
    spike_inputs: list[str] = field(default_factory=list)
    membrane_inputs: list[str] = field(default_factory=list)
    n_probe_outputs: int = 3

    def __post_init__(self) -> None:
        names = set(self.boards)
        for w in self.wires:
            probe = w.source.startswith("probe:")
            if (probe and not 0 <= int(w.source[6:]) < self.n_probe_outputs) or \
                    (not probe and w.source not in names) or w.target not in names or \
                    not 0 <= w.channel < 3:
                raise ValueError(f"bad wire {w}: boards are {sorted(names)}, channels 0..2, "
                                 f"probe outputs probe:0..probe:{self.n_probe_outputs - 1}")
        for name in (*self.spike_inputs, *self.membrane_inputs):
            if name not in names:
                raise ValueError(f"probe watches unknown board {name!r}; boards are {sorted(names)}")

    def wiring_text(self) -> str:
        """Instructions for building the network on the bench."""
        lines = [f"  {w.source:>10} -> {w.target} input {w.channel}" for w in self.wires]
        lines += [f"  {b:>10} axon -> probe spike input {k}" for k, b in enumerate(self.spike_inputs)]
        lines += [f"  {b:>10} MEM  -> probe ADC {k}" for k, b in enumerate(self.membrane_inputs)]
        return "\n".join(lines)


class NetworkState:
    """A :class:`Network` being simulated: board states plus the routing matrices."""

    def __init__(self, network: Network, dt_s: float = DT_S) -> None:
        self.network = network
        self.names = list(network.boards)
        self.boards = BoardArray(list(network.boards.values()))
        self.dt_s = dt_s
        index = {n: i for i, n in enumerate(self.names)}
        n = len(self.names)
        self._from_board = np.zeros((n, 3, n), dtype=bool)                       # target, ch, source
        self._from_probe = np.zeros((n, 3, network.n_probe_outputs), dtype=bool)
        for w in network.wires:
            if w.source.startswith("probe:"):
                self._from_probe[index[w.target], w.channel, int(w.source[6:])] = True
            else:
                self._from_board[index[w.target], w.channel, index[w.source]] = True
        self.spike_index = np.array([index[b] for b in network.spike_inputs], dtype=int)
        self.membrane_index = np.array([index[b] for b in network.membrane_inputs], dtype=int)

    def step(self, probe_outputs_high: np.ndarray) -> np.ndarray:
        """Advance one step with the probe's pulse outputs; return per-board spike times (NaN: none)."""
        board_high = self.boards.v_output_volt > INPUT_THRESHOLD_VOLT
        probe_high = np.asarray(probe_outputs_high, dtype=bool) & (PROBE_OUTPUT_VOLT > INPUT_THRESHOLD_VOLT)
        inputs = (self._from_board & board_high).any(axis=2) | (self._from_probe & probe_high).any(axis=2)
        return self.boards.step(self.dt_s, inputs)


def single_board_network(settings: BoardSettings | None = None,
                         inputs: Sequence[int] = (0, 1, 2)) -> Network:
    """One board; probe output k drives input k, the probe watches its spikes and membrane."""
    return Network({"lui": settings or BoardSettings()}, [Wire(f"probe:{k}", "lui", k) for k in inputs],
                   spike_inputs=["lui"], membrane_inputs=["lui"])


def run_network(network: Network, probe_pulses: dict[int, Sequence[tuple[float, float]]],
                t_stop_s: float, dt_s: float = DT_S) -> dict[str, np.ndarray]:
    """Simulate ``network`` offline with probe output k pulsing at ``(t_start_s, width_s)``;
    return each board's spike times in seconds."""
    state = NetworkState(network, dt_s)
    n_steps = int(round(t_stop_s / dt_s))
    t = np.arange(n_steps) * dt_s
    probe = np.zeros((n_steps, network.n_probe_outputs), dtype=bool)
    for k, pulses in probe_pulses.items():
        probe[:, k] = pulses_to_mask(t, pulses)
    spikes: list[list[float]] = [[] for _ in state.names]
    for i in range(n_steps):
        fired = state.step(probe[i])
        for b in np.flatnonzero(~np.isnan(fired)):
            spikes[b].append(float(fired[b]))
    return {name: np.array(s) for name, s in zip(state.names, spikes)}
