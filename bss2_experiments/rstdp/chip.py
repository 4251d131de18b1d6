"""Pong learned fully on the emulated chip: the ``pong`` PPU kernel plays, rewards and
updates; the host builds the network, starts one run and reads the mailbox.

Network (Wunderlich et al. 2019): 32 input units (silent ``SpikeSourceArray``s whose
labels the kernel sends) all-to-all onto 32 calibrated LIF neurons with plastic 6-bit
weights N(weight_mean, weight_std) (the paper: N(14, 2) on its scale); 32 noise units
one-to-one onto the neurons (the kernel sends them at random: exploration). One PyNN
``run()`` covers the whole training; the correlation sensors are calibrated to the
config's amplitude and time constant.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ppu_firmware.registry import decode_mailbox

from .config import UNITS, PongConfig
from .game import Q14


@dataclass
class ChipRun:
    """What one training run left: the kernel's mailbox decoded, weights, timing."""

    config: PongConfig
    mailbox: dict
    weights: np.ndarray
    """(32 inputs, 32 outputs) hardware weights after training."""
    initial_weights: np.ndarray
    seconds: float
    calibration_id: str | None

    @property
    def curve(self) -> np.ndarray:
        """Mean expected reward over visited ball cells, every ``curve_every`` iterations."""
        return self.mailbox["curve"][:self.mailbox["samples"]] / Q14

    @property
    def reward_curve(self) -> np.ndarray:
        return self.mailbox["reward_curve"][:self.mailbox["samples"]] / Q14

    @property
    def expected_reward(self) -> np.ndarray:
        """Rbar per ball cell (NaN for cells never visited)."""
        r = self.mailbox["expected_reward"] / Q14
        return np.where(self.mailbox["visits"] > 0, r, np.nan)

    @property
    def mean_expected_reward(self) -> float:
        return float(np.nanmean(self.expected_reward))

    @property
    def seconds_per_iteration(self) -> float:
        return self.seconds / self.config.iterations


def initial_weights(config: PongConfig) -> np.ndarray:
    """N(weight_mean, weight_std) rounded, clipped to 1..63 (a 0 weight would not be laid out)."""
    rng = np.random.default_rng(config.seed)
    w = np.rint(rng.normal(config.weight_mean, config.weight_std, (UNITS, UNITS)))
    return np.clip(w, 1, 63).astype(int)


def build(sim, config: PongConfig, weights: np.ndarray):
    """The network on ``sim`` (the emulator's PyNN); returns (rule, projection, outputs)."""
    def parameters(rows, columns, event_labels):
        # all-to-all sources take one row each, in source order, before the packed noise row
        # (bss2_experiments.pynn.mapping: first fit, widest slots first); the rule's mask
        # also marks the noise row, which targets the same columns
        input_rows = np.flatnonzero(rows[0])[:UNITS]
        chip = event_labels(outputs)
        if input_rows.size != UNITS or np.any(chip >= 256) or rows[1].any():
            raise RuntimeError(f"the mapping put the Pong network on rows {input_rows.size} / columns "
                               f"{chip.tolist()}: the kernel needs 32 rows and 32 neurons in hemisphere 0")
        return {**config.kernel_parameters(), "input_labels": event_labels(inputs),
                "noise_labels": event_labels(noise), "input_rows": input_rows, "output_columns": chip % 256}

    rule = sim.PlasticityRule(kernel="pong", timer=sim.Timer(start=config.period_ms, period=config.period_ms,
                                                             num_periods=config.num_calls),
                              parameters=parameters)
    inputs = sim.Population(UNITS, sim.SpikeSourceArray(spike_times=[]), label="ball cells")
    noise = sim.Population(UNITS, sim.SpikeSourceArray(spike_times=[]), label="noise")
    outputs = sim.Population(UNITS, sim.CalibHXNeuronCuba(**config.neuron), label="paddle cells")
    projection = sim.Projection(inputs, outputs, sim.AllToAllConnector(),
                                sim.PlasticSynapse(weight=weights.astype(float), plasticity_rule=rule))
    if config.noise_weight:
        sim.Projection(noise, outputs, sim.OneToOneConnector(), sim.StaticSynapse(weight=float(config.noise_weight)))
    return rule, projection, outputs


def train(config: PongConfig, progress: bool = False) -> ChipRun:
    """Train on the emulated chip: one run of ``config.duration_ms``."""
    import bss2_experiments.pynn as sim

    weights = initial_weights(config)
    sim.setup(timestep=config.timestep_ms, chip_id=config.chip_id, seed=config.seed, progress=progress,
              calibration="auto" if config.calibrated else None,
              correlation_amplitude_lsb=config.correlation_amplitude_lsb, correlation_tau_us=config.correlation_tau_us)
    try:
        rule, projection, _ = build(sim, config, weights)
        start = time.perf_counter()
        sim.run(config.duration_ms)
        seconds = time.perf_counter() - start
        learned = np.rint(projection.get("weight", format="array")).astype(int)
        calibration = sim.simulator.state.calibration_result
        calibration_id = calibration.calibration_id if calibration is not None else None
    finally:
        sim.end()
    return ChipRun(config, decode_mailbox("pong", rule.mailbox[0, 0]), learned, weights, seconds, calibration_id)
