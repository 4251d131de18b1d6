"""The Pong R-STDP experiment: train on the emulated chip for several seeds, measure the
neurons' excitability, time the NEST twin, save JSON + NPZ + PNG with provenance."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .chip import ChipRun, train
from .config import UNITS, PongConfig
from .twin import TwinRun, train_twin


def excitability(config: PongConfig, n_stimuli: int = 20, weights=(14, 21, 28, 35, 42)) -> np.ndarray:
    """Spikes of each output neuron, summed over a sweep of input strengths: ``n_stimuli``
    events of each weight in ``weights`` (hardware units; > 63 spreads over several
    synapses), one every period, on the same chip and neurons as training. It measures the
    fixed-pattern noise left after calibration (an area under each neuron's f-w curve).
    The default sweep spans the drive of one call at the initial weights (4 events of
    weight ~7 = 28); much stronger inputs reach the neurons' maximum rate, where they differ
    less."""
    import bss2_experiments.pynn as sim

    total = np.zeros(UNITS)
    for weight in weights:
        sim.setup(timestep=config.timestep_ms, chip_id=config.chip_id, seed=config.seed, progress=False,
                  calibration="auto" if config.calibrated else None)
        try:
            times = config.period_ms * (1 + np.arange(n_stimuli))
            drive = sim.Population(UNITS, sim.SpikeSourceArray(spike_times=times))
            outputs = sim.Population(UNITS, sim.CalibHXNeuronCuba(**config.neuron))
            sim.Projection(drive, outputs, sim.OneToOneConnector(), sim.StaticSynapse(weight=float(weight)))
            outputs.record("spikes")
            sim.run(config.period_ms * (n_stimuli + 2))
            total += [len(t) for t in outputs.get_data().segments[0].spiketrains]
        finally:
            sim.end()
    return total


@dataclass
class PongResult:
    runs: list[ChipRun]
    excitability: np.ndarray
    twin: TwinRun | None

    @property
    def mean_expected_reward(self) -> float:
        """Mean over seeds of the mean expected reward over visited ball cells after training."""
        return float(np.mean([r.mean_expected_reward for r in self.runs]))

    @property
    def seconds_per_iteration(self) -> float:
        """Emulator wall time per training iteration (mean over seeds; one run each)."""
        return float(np.mean([r.seconds_per_iteration for r in self.runs]))

    def weight_excitability_correlation(self) -> float:
        """Pearson r between a neuron's excitability and its mean learned weight (over
        seeds and input rows): negative when learning compensates the fixed-pattern noise."""
        mean_w = np.mean([r.weights.mean(axis=0) for r in self.runs], axis=0)
        if np.std(self.excitability) == 0 or np.std(mean_w) == 0:
            return float("nan")
        return float(np.corrcoef(self.excitability, mean_w)[0, 1])

    def summary(self) -> dict:
        out = {
            "mean_expected_reward": self.mean_expected_reward,
            "mean_expected_reward_per_seed": [r.mean_expected_reward for r in self.runs],
            "initial_mean_expected_reward_per_seed": [float(r.curve[0]) if r.curve.size else float("nan")
                                                      for r in self.runs],
            "seconds_per_iteration": self.seconds_per_iteration,
            "iterations": self.runs[0].config.iterations,
            "seeds": [r.config.seed for r in self.runs],
            "hits_misses_per_seed": [[int(r.mailbox["hits"]), int(r.mailbox["misses"])] for r in self.runs],
            "weight_excitability_r": self.weight_excitability_correlation(),
            "config": self.runs[0].config.as_dict(),
        }
        if self.twin is not None:
            out["twin_seconds_per_iteration"] = self.twin.seconds_per_iteration
            out["twin_iterations"] = self.twin.iterations
            out["twin_over_emulator"] = self.twin.seconds_per_iteration / self.seconds_per_iteration
        return out

    def arrays(self) -> dict:
        return {
            "curve": np.array([r.curve for r in self.runs]),
            "reward_curve": np.array([r.reward_curve for r in self.runs]),
            "curve_iterations": self.runs[0].config.curve_every * (1 + np.arange(self.runs[0].curve.size)),
            "expected_reward": np.array([r.expected_reward for r in self.runs]),
            "visits": np.array([r.mailbox["visits"] for r in self.runs]),
            "weights": np.array([r.weights for r in self.runs]),
            "initial_weights": np.array([r.initial_weights for r in self.runs]),
            "excitability": self.excitability,
            "twin_curve": self.twin.curve if self.twin is not None else np.zeros(0),
        }


def run(config: PongConfig, n_seeds: int = 3, twin_iterations: int = 30, progress: bool = True,
        workers: int | None = None, scheduler: str | None = None) -> PongResult:
    """Train ``n_seeds`` agents (seeds config.seed, +1, ...) fully on the emulated chip, in
    this process or spread over Dask workers (``workers`` local processes or a
    ``scheduler`` address); time ``twin_iterations`` iterations of the NEST twin (0: skip)."""
    from tqdm import tqdm

    if n_seeds < 1:
        raise ValueError(f"n_seeds = {n_seeds}: train at least one agent")
    if twin_iterations < 0:
        raise ValueError(f"twin_iterations = {twin_iterations}: give 0 (no twin) or more")
    configs = [dataclasses.replace(config, seed=config.seed + s) for s in range(n_seeds)]
    if workers or scheduler:
        from bss2_experiments.distributed import dask_client, mapper
        train(dataclasses.replace(config, iterations=1, curve_every=1), progress=progress)  # calibrate once, cached
        with dask_client(scheduler, workers) as client:
            runs = mapper(client, show_progress=progress)(train, configs)
    else:
        runs = [train(c, progress=progress)
                for c in tqdm(configs, desc="Pong on the emulated chip (seeds)", disable=not progress)]
    twin = train_twin(config, twin_iterations) if twin_iterations else None
    return PongResult(runs, excitability(config), twin)


def plot(result: PongResult):
    """Learning curve like seed Figure 16C, learned weights, weight vs excitability."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrays = result.arrays()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    for curve in arrays["curve"]:
        ax.plot(arrays["curve_iterations"], curve, color="0.7", lw=0.8)
    ax.plot(arrays["curve_iterations"], arrays["curve"].mean(0), color="C0", lw=2, label="emulated chip (mean)")
    if arrays["twin_curve"].size:
        every = result.runs[0].config.curve_every
        ax.plot(every * (1 + np.arange(arrays["twin_curve"].size)), arrays["twin_curve"], color="C1",
                label="NEST twin")
    ax.axhline(1.0, color="k", ls=":", lw=0.8)
    ax.set(xlabel="iteration", ylabel="mean expected reward", ylim=(0, 1.05), title="Pong, R-STDP on the PPU")
    ax.legend(loc="lower right")
    im = axes[1].imshow(arrays["weights"][0], cmap="viridis", vmin=0, vmax=63, origin="lower")
    axes[1].set(xlabel="output neuron (paddle cell)", ylabel="input unit (ball cell)", title="learned weights, seed 0")
    fig.colorbar(im, ax=axes[1], label="6-bit weight")
    axes[2].scatter(result.excitability, arrays["weights"].mean(axis=(0, 1)))
    axes[2].set(xlabel="excitability (spikes over an input sweep)", ylabel="mean learned weight",
                title=f"r = {result.weight_excitability_correlation():.2f}")
    fig.tight_layout()
    return fig

