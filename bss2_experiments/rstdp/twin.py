"""The software twin: the same Pong task with PyNN on NEST and the learning on the host,
as the NEST reference of Wunderlich et al. (2019) (``electronicvisions/model-sw-pong``),
for the speed comparison with the emulated chip.

Per iteration the host sets the ball cell's input spikes (one event of weight
``ball_events x w`` per timer period, standing in for the PPU's ``ball_events`` events
sent together) and the noise events, runs NEST for one poll window, counts the output
spikes, plays :class:`.game.Pong` with the same rules and random stream as the kernel,
explores with the same noise schedule and applies the same R-STDP update (on the chosen
unit only or the whole row, as the config says), with the causal correlation computed
from the spike times like the emulated sensors (the config's amplitude per pair x
pre-trace at each post spike, decaying with the config's sensor time constant).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .chip import Q14, initial_weights
from .config import UNITS, PongConfig
from .game import DEFAULT_REWARDS, Pong, XorShift32, choose, reward_of, scheduled_noise, update_expected

NA_PER_WEIGHT = 0.11
"""nA per 6-bit weight LSB: puts the twin's neurons (IF_curr_exp, cm 1 nF) in the
emulator's regime (spike counts of the same order at the initial weights)."""


def _mv(cadc: float) -> float:
    from bss2_experiments.pynn.scaling import CADC_PER_MV, V_ANCHOR_CADC, V_ANCHOR_MV
    return V_ANCHOR_MV + (cadc - V_ANCHOR_CADC) / CADC_PER_MV


def causal_correlation(pre_ms: np.ndarray, post_ms: list[np.ndarray], events: int, amplitude_lsb: float,
                       tau_ms: float) -> np.ndarray:
    """Causal sensor reading (LSB) per output: sum over post spikes of
    amplitude_lsb x events x sum_{pre before} exp(-(t_post - t_pre) / tau_ms)."""
    out = np.zeros(len(post_ms))
    for j, post in enumerate(post_ms):
        if post.size:
            dt = post[:, None] - pre_ms[None, :]
            out[j] = amplitude_lsb * events * np.where(dt > 0, np.exp(-np.where(dt > 0, dt, 0) / tau_ms), 0.0).sum()
    return out


def _row_connections(inputs, outputs) -> list:
    """Per input unit: its NEST connections and the output index of each (PyNN's
    ``Projection.set`` rewrites all 1024 weights through Python, ~0.8 s per call; the
    learning writes one row per iteration, as the NEST reference did)."""
    import nest

    targets = {int(node): j for j, node in enumerate(outputs.node_collection.tolist())}
    rows = []
    for k in range(UNITS):
        connections = nest.GetConnections(source=inputs.node_collection[k:k + 1], target=outputs.node_collection)
        order = np.array([targets[int(t)] for t in connections.get("target")]) if len(connections) > 1 else \
            np.array([targets[int(connections.get("target"))]])
        rows.append((connections, order))
    return rows


@dataclass
class TwinRun:
    curve: np.ndarray
    expected_reward: np.ndarray
    weights: np.ndarray
    iterations: int
    seconds: float

    @property
    def seconds_per_iteration(self) -> float:
        return self.seconds / self.iterations


def train_twin(config: PongConfig, iterations: int | None = None, backend: str = "nest") -> TwinRun:
    """Host-side R-STDP on ``backend`` (PyNN); ``iterations`` defaults to the config's."""
    from pyNN.parameters import Sequence

    from bss2_experiments import backends

    n_iter = config.iterations if iterations is None else int(iterations)
    sim = backends.load(backend)
    n = config.neuron
    sim.setup(timestep=0.1)
    inputs = sim.Population(UNITS, sim.SpikeSourceArray(spike_times=[]))
    noise = sim.Population(UNITS, sim.SpikeSourceArray(spike_times=[]))
    outputs = sim.Population(UNITS, sim.IF_curr_exp(
        v_rest=_mv(n["v_rest"]), v_reset=_mv(n["v_reset"]), v_thresh=_mv(n["v_thresh"]), tau_m=n["tau_m"],
        tau_syn_E=n["tau_syn_E"], tau_syn_I=n["tau_syn_I"], tau_refrac=n["tau_refrac"], cm=1.0))
    w = initial_weights(config).astype(float)
    sim.Projection(inputs, outputs, sim.AllToAllConnector(),
                                sim.StaticSynapse(weight=w * NA_PER_WEIGHT * config.ball_events))
    sim.Projection(noise, outputs, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=config.noise_weight * NA_PER_WEIGHT))
    outputs.record("spikes")
    rows = _row_connections(inputs, outputs)
    rng, host_rng = XorShift32(config.seed * 2654435761 + 1), np.random.default_rng(config.seed)
    game = Pong()
    game.new_game(rng)
    expected = np.zeros(UNITS, np.int64)
    visits = np.zeros(UNITS, np.int64)
    curve = []
    window_ms = config.window * config.period_ms
    start = time.perf_counter()
    t0 = 0.0
    for it in range(n_iter):
        k = game.ball_cell
        calls = t0 + config.period_ms * (1 + np.arange(config.window))
        inputs.set(spike_times=[Sequence(calls if j == k else []) for j in range(UNITS)])
        noise_p = scheduled_noise(config.noise, config.noise_floor, config.noise_decay, it) / 256
        hits = host_rng.random((UNITS, config.window)) < noise_p
        noise.set(spike_times=[Sequence(calls[hits[j]]) for j in range(UNITS)])
        sim.run(window_ms)
        trains = outputs.get_data("spikes", clear=True).segments[-1].spiketrains
        post = [np.asarray(s.magnitude) for s in trains]
        counts = np.array([p.size for p in post])
        target = choose(counts, rng)
        reward = reward_of(target, k, DEFAULT_REWARDS)
        if visits[k] == 0:
            expected[k] = reward
        d, expected[k] = update_expected(int(expected[k]), reward, config.mean_shift)
        visits[k] += 1
        f = int(np.clip((config.eta * d + (1 << 13)) >> 14, -128, 127))
        c = causal_correlation(calls, post, config.ball_events, config.correlation_amplitude_lsb,
                               config.correlation_tau_us)
        learned = [target] if config.chosen_only else slice(None)
        w[k, learned] = np.clip(w[k, learned] + np.rint(f * (c[learned] / 2) / 128), 0, 63)
        connections, order = rows[k]
        connections.set(weight=(1000.0 * NA_PER_WEIGHT * config.ball_events * w[k][order]).tolist())  # pA
        game.step(target, rng)
        if (it + 1) % config.curve_every == 0:
            curve.append(expected[visits > 0].mean() / Q14)
        t0 += window_ms
    seconds = time.perf_counter() - start
    sim.end()
    return TwinRun(np.array(curve), np.where(visits > 0, expected / Q14, np.nan), w, n_iter, seconds)
