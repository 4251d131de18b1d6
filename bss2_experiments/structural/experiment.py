"""Structural plasticity on Iris with the rule as PPU firmware (Billaudelle et al. 2021,
Neural Networks 133; seed document section 1.2.1.4, Figure 19).

Training is cut into chunks of ``prune_every`` samples. Each chunk is one plastic chip
run: the samples play back to back with their teachers, the ``structural`` kernel (C,
``ppu_firmware/kernels/structural.c``) runs at the end of every sample (STDP on the
correlation sensors + homeostasis + noise) and prunes/rewires at the chunk's last call.
After each chunk the weights and labels the PPU left are read back, every label
neuron's fan-in is checked against its level's ``k`` (a mismatch raises), and the test
set runs as independent trials in one batched chip call (no teacher, no plasticity):
the class whose label neurons fire most wins (ties: the earlier first spike).
All fan-in levels share the chip in one run (their own columns, shared pool rows).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emulator.interface import ChipConfiguration, N_COLUMNS
from ppu_firmware import host
from .encoding import N_CLASSES, Encoding, iris_split
from .network import (
    HEMISPHERE, KERNEL, Layout, configure, fan_in, initial_pool, plasticity_program,
    evaluation_stimulus, training_stimulus,
)


class FanInError(AssertionError):
    """A label neuron's fan-in changed: the structural kernel broke its invariant."""


@dataclass(frozen=True)
class RuleParameters:
    """The ``structural`` kernel's mailbox parameters (see its table in the README)."""

    factor: int = 127
    """STDP learning rate, Q0.7 (127 = 0.99): dw = factor/128 * (causal - acausal) / 2"""
    target: int = 0
    """homeostatic target spike count per call: any spike above it depresses all synapses"""
    step: int = 1
    noise: int = 2
    prune_threshold: int = 6
    initial_weight: int = 12
    causal_offset: int = 8
    acausal_offset: int = 8

    def __post_init__(self):
        for name, lo, hi in (("factor", -128, 127), ("target", 0, 255), ("step", 0, 63), ("noise", 0, 127),
                             ("prune_threshold", 0, 63), ("initial_weight", 0, 63), ("causal_offset", 0, 255),
                             ("acausal_offset", 0, 255)):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"rule parameter {name} = {value}: must lie in {lo}..{hi} (structural kernel)")

    def mailbox(self) -> dict:
        d = dataclasses.asdict(self)
        d["causal_offset"] = np.full(N_COLUMNS, self.causal_offset)
        d["acausal_offset"] = np.full(N_COLUMNS, self.acausal_offset)
        return d


@dataclass(frozen=True)
class StructuralConfig:
    """One experiment: fan-in levels and seeds on one emulated chip."""

    fan_ins: tuple[int, ...] = (8, 16, 32)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    chip_id: int = 0
    ideal: bool = False
    neurons_per_class: int = 4
    epochs: int = 6
    prune_every: int = 40
    """samples (kernel calls) per chunk; each chunk ends with a pruning step"""
    test_fraction: float = 0.2
    encoding: Encoding = field(default_factory=Encoding)
    rule: RuleParameters = field(default_factory=RuleParameters)

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs = {self.epochs}: train at least one epoch")
        if not 1 <= self.prune_every <= 255:
            raise ValueError(f"prune_every = {self.prune_every}: must lie in 1..255 (the kernel's uint8 "
                             f"prune_period)")
        if not self.seeds:
            raise ValueError("give at least one seed")
        self.layout()  # validates fan-ins against the pool

    def layout(self) -> Layout:
        return Layout(tuple(int(k) for k in self.fan_ins), self.neurons_per_class, self.encoding.n_receptors)


@dataclass
class SeedResult:
    """One seed's training: curves per chunk (index 0 = before training)."""

    seed: int
    samples_seen: np.ndarray          # (n_points,)
    accuracy: np.ndarray              # (n_points, n_levels) test accuracy
    fan_in: np.ndarray                # (n_points, n_columns) connected synapses after each pruning step
    pruned: np.ndarray                # (n_points,) synapses rewired so far
    labels: np.ndarray                # (n_points, pool_rows, n_columns)
    weights: np.ndarray               # (n_points, pool_rows, n_columns)
    test_labels: np.ndarray           # (n_test,)
    test_predictions: np.ndarray      # (n_levels, n_test) after training
    seconds: float


def _chip(config: StructuralConfig):
    from emulator.chip import Emulator
    return Emulator(chip_id=config.chip_id, ideal=config.ideal)


def calibrated_base(chip, progress: bool = False) -> tuple[ChipConfiguration, str]:
    """The chip's calibration for the default targets (CalibHXNeuronCuba: rest 80,
    threshold 125 CADC LSB, tau_m = tau_syn = 10 us), applied; and its id."""
    from calibration import CalibrationTargets, load_or_calibrate
    result = load_or_calibrate(chip, CalibrationTargets(), progress=progress)
    return result.apply(), result.calibration_id


def evaluate(chip, base: ChipConfiguration, layout: Layout, enc: Encoding, labels: np.ndarray,
             weights: np.ndarray, stimulus, seed: int) -> np.ndarray:
    """Predicted class per level and test trial, shape (n_levels, n_trials): most spikes
    of a class's label neurons, ties broken by the earliest first spike."""
    cfg = configure(base, layout, labels, weights)
    res = chip.run(cfg, stimulus, enc.sample_us, seed=seed)
    n = stimulus.n_trials
    neuron = HEMISPHERE * N_COLUMNS + np.arange(layout.n_columns)
    counts = res.spikes.counts()[:, neuron]
    first = np.full((n, layout.n_columns), enc.sample_us)
    sel = np.isin(res.spikes.neuron, neuron)
    np.minimum.at(first, (res.spikes.trial[sel], res.spikes.neuron[sel] - neuron[0]), res.spikes.time_us[sel])
    m = layout.neurons_per_class
    out = np.zeros((len(layout.fan_ins), n), np.int64)
    for lev in range(len(layout.fan_ins)):
        cols = layout.columns(lev)
        c = counts[:, cols].reshape(n, N_CLASSES, m).sum(axis=2)
        f = first[:, cols].reshape(n, N_CLASSES, m).min(axis=2)
        out[lev] = np.argmax(c * 1e6 - f, axis=1)
    return out


def train_chunk(chip, base: ChipConfiguration, layout: Layout, enc: Encoding, labels: np.ndarray,
                weights: np.ndarray, params: dict, x01: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                calls: int = 0, pruned: int = 0, prune: bool = True) -> tuple[np.ndarray, np.ndarray, dict]:
    """One plastic chip run presenting ``x01``/``y`` with the teachers, the kernel called
    after every sample and (``prune``) pruning at the last call. Returns the pool labels and
    weights the PPU left and its decoded mailbox (``calls``, ``pruned`` continue the
    given counts)."""
    cfg = configure(base, layout, labels, weights)
    params = dict(params, prune_period=len(y) if prune else 0)
    cfg.plasticity = (plasticity_program(layout, params, len(y), enc.sample_us, calls, pruned),)
    stim = training_stimulus(layout, enc, x01, y, rng)
    plastic = chip.run(cfg, stim, len(y) * enc.sample_us, seed=int(rng.integers(2**62))).plasticity
    return (plastic.labels[0, HEMISPHERE, :layout.pool_rows, :layout.n_columns].copy(),
            plastic.weights[0, HEMISPHERE, :layout.pool_rows, :layout.n_columns].copy(),
            host.decode_mailbox(KERNEL, plastic.mailbox[0, HEMISPHERE]))


def run_seed(config: StructuralConfig, seed: int, chip=None, base: ChipConfiguration | None = None,
             progress: bool = False) -> SeedResult:
    """Train and test one seed (its split, initial connectivity, sample order, noise)."""
    t_start = time.perf_counter()
    chip = chip if chip is not None else _chip(config)
    base = base if base is not None else calibrated_base(chip)[0]
    layout, enc = config.layout(), config.encoding
    rng = np.random.default_rng([seed, 7])
    x_tr, y_tr, x_te, y_te = iris_split(seed, config.test_fraction)
    labels, weights = initial_pool(layout, rng, config.rule.initial_weight)
    order = np.concatenate([rng.permutation(len(y_tr)) for _ in range(config.epochs)])
    chunks = [order[i:i + config.prune_every] for i in range(0, order.size, config.prune_every)]
    test_stim = evaluation_stimulus(layout, enc, x_te, rng)
    expected = layout.fan_in_of_column()
    params = config.rule.mailbox()
    snapshots = [(0, labels, weights, 0, evaluate(chip, base, layout, enc, labels, weights, test_stim,
                                                   int(rng.integers(2**62))))]
    calls = pruned = 0
    bar = _progress(len(chunks), f"seed {seed}", progress)
    for chunk in chunks:
        labels, weights, box = train_chunk(chip, base, layout, enc, labels, weights, params, x_tr[chunk], y_tr[chunk],
                                           rng, calls, pruned, prune=True)
        calls, pruned = int(box["calls"]), int(box["pruned"])
        got = fan_in(labels, layout)
        if not np.array_equal(got, expected):
            bad = np.flatnonzero(got != expected)
            raise FanInError(f"seed {seed}, after {calls} kernel calls: label neurons {bad.tolist()} have fan-in "
                             f"{got[bad].tolist()}, expected {expected[bad].tolist()}")
        pred = evaluate(chip, base, layout, enc, labels, weights, test_stim, int(rng.integers(2**62)))
        snapshots.append((snapshots[-1][0] + len(chunk), labels, weights, pruned, pred))
        bar.update(1)
    bar.close()
    preds = np.stack([s[4] for s in snapshots])               # (points, levels, n_test)
    return SeedResult(
        seed=seed, samples_seen=np.array([s[0] for s in snapshots]),
        accuracy=(preds == y_te[None, None, :]).mean(axis=2),
        fan_in=np.stack([fan_in(s[1], layout) for s in snapshots]), pruned=np.array([s[3] for s in snapshots]),
        labels=np.stack([s[1] for s in snapshots]), weights=np.stack([s[2] for s in snapshots]),
        test_labels=y_te, test_predictions=preds[-1], seconds=time.perf_counter() - t_start)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


@dataclass
class StructuralResult:
    """All seeds of one experiment."""

    config: StructuralConfig
    seeds: list[SeedResult]
    chip_identity: str
    calibration_id: str
    seconds: float

    @property
    def test_accuracy(self) -> dict[int, float]:
        """Fan-in k -> mean final test accuracy over the seeds."""
        acc = np.stack([s.accuracy[-1] for s in self.seeds])
        return {int(k): float(acc[:, lev].mean()) for lev, k in enumerate(self.config.fan_ins)}

    def samples_to_reach(self, fraction: float = 0.9) -> dict[int, float]:
        """Fan-in k -> training samples until the seed-averaged test accuracy first
        reaches ``fraction`` (NaN if never): the convergence time of Figure 19C."""
        mean = np.stack([s.accuracy for s in self.seeds]).mean(0)
        samples = self.seeds[0].samples_seen
        out = {}
        for lev, k in enumerate(self.config.fan_ins):
            hit = np.flatnonzero(mean[:, lev] >= fraction)
            out[int(k)] = float(samples[hit[0]]) if hit.size else float("nan")
        return out

    def summary(self) -> dict:
        acc = np.stack([s.accuracy[-1] for s in self.seeds])
        fan_in_ok = all(np.array_equal(s.fan_in, np.broadcast_to(self.config.layout().fan_in_of_column(),
                                                                  s.fan_in.shape)) for s in self.seeds)
        hw_us = self.seeds[0].samples_seen[-1] * self.config.encoding.sample_us
        return {
            "test_accuracy": {str(k): v for k, v in self.test_accuracy.items()},
            "test_accuracy_per_seed": {str(k): acc[:, lev].tolist() for lev, k in enumerate(self.config.fan_ins)},
            "test_accuracy_std": {str(k): float(acc[:, lev].std()) for lev, k in enumerate(self.config.fan_ins)},
            "samples_to_90_percent": {str(k): None if np.isnan(v) else v for k, v in self.samples_to_reach(0.9).items()},
            "fan_in_constant": bool(fan_in_ok),
            "pruning_steps": int(self.seeds[0].samples_seen.size - 1),
            "synapses_rewired_per_seed": [int(s.pruned[-1]) for s in self.seeds],
            "seeds": [s.seed for s in self.seeds],
            "n_test": int(self.seeds[0].test_labels.size),
            "training_hardware_ms_per_seed": float(hw_us / 1000.0),
            "seconds": self.seconds,
            "seconds_per_seed": [s.seconds for s in self.seeds],
            "chip_identity": self.chip_identity,
            "calibration_id": self.calibration_id,
            "config": _config_dict(self.config),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        s = self.seeds
        return {
            "fan_ins": np.asarray(self.config.fan_ins), "seeds": np.array([x.seed for x in s]),
            "samples_seen": s[0].samples_seen, "accuracy": np.stack([x.accuracy for x in s]),
            "fan_in": np.stack([x.fan_in for x in s]), "expected_fan_in": self.config.layout().fan_in_of_column(),
            "pruned": np.stack([x.pruned for x in s]), "labels": np.stack([x.labels for x in s]),
            "weights": np.stack([x.weights for x in s]), "test_labels": np.stack([x.test_labels for x in s]),
            "test_predictions": np.stack([x.test_predictions for x in s]),
            "receptor_centres": self.config.encoding.centres(),
        }

    def save(self, out: str | Path, seed_label: int | None = None) -> Path:
        """Write ``structural.{json,npz,png}`` under ``out/structural/<time>/``."""
        from bss2_experiments.results import Provenance, run_folder, save_result
        from .plots import figure
        import matplotlib.pyplot as plt
        folder = run_folder(out, "structural")
        prov = Provenance(backend="emulator", chip_id=self.config.chip_id, calibration_id=self.calibration_id,
                          seed=seed_label if seed_label is not None else self.seeds[0].seed)
        fig = figure(self)
        save_result(folder, "structural", prov, self.summary(), self.arrays(), fig)
        plt.close(fig)
        return folder


def _config_dict(config: StructuralConfig) -> dict:
    d = dataclasses.asdict(config)
    d["fan_ins"], d["seeds"] = list(config.fan_ins), list(config.seeds)
    return d


def _seed_task(args) -> SeedResult:
    """One seed on a fresh emulated chip (a Dask worker's task)."""
    config, seed = args
    chip = _chip(config)
    return run_seed(config, seed, chip, calibrated_base(chip)[0])


def run(config: StructuralConfig, progress: bool = True, workers: int | None = None,
        scheduler: str | None = None) -> StructuralResult:
    """All seeds of ``config``: in this process, or spread over Dask workers
    (``workers`` local processes or a ``scheduler`` address)."""
    t0 = time.perf_counter()
    chip = _chip(config)
    base, calibration_id = calibrated_base(chip, progress=progress)   # calibrate once, cached for workers
    if workers or scheduler:
        from bss2_experiments.distributed import dask_client, mapper
        with dask_client(scheduler, workers) as client:
            seeds = mapper(client, show_progress=progress)(_seed_task, [(config, s) for s in config.seeds])
    else:
        seeds = []
        for s in config.seeds:
            seeds.append(run_seed(config, s, chip, base, progress=progress))
    return StructuralResult(config, seeds, chip.identity, calibration_id, time.perf_counter() - t0)
