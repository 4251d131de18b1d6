"""Structural plasticity on Iris with the rule as PPU firmware (Billaudelle et al. 2021,
Neural Networks 133; seed document section 1.2.1.4, Figure 19), as a PyNN script on
``bss2_experiments.pynn`` (network: :mod:`.network`).

Each sparsity level trains in its own PyNN session with its own rule constants (one
kernel, one mailbox per PPU, serves a run). Training is cut into chunks of ``test_every``
samples. Each chunk is one ``sim.run()``: the samples play back to back with their
teachers, the ``structural`` kernel (C, ``ppu_firmware/kernels/structural.c``) runs at the
end of every sample (STDP on the correlation sensors + homeostasis + noise) and
prunes/rewires every ``prune_period``-th call (its counters run on over the chunks).
After each chunk the pool projection holds the receptors and weights the PPU left; every
label neuron's fan-in is checked against ``k`` (a mismatch raises), and the test set runs
as independent trials in one ``sim.run_batch`` call (no teacher, the rule disabled): the
class whose label neurons fire most wins (ties: the earlier first spike).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emulator.interface import N_COLUMNS
from ppu_firmware import host
from .encoding import Encoding, iris_split
from .network import (
    KERNEL, Layout, Network, build, classify, evaluation_inputs, fan_in, kernel_parameters, receptive_fields,
    set_training_inputs,
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
    prune_threshold: int = 12
    prune_period: int = 20
    """kernel calls (= samples) between pruning steps"""
    initial_weight: int = 16
    causal_offset: int = 8
    acausal_offset: int = 8

    def __post_init__(self):
        for name, lo, hi in (("factor", -128, 127), ("target", 0, 255), ("step", 0, 63), ("noise", 0, 127),
                             ("prune_threshold", 0, 63), ("prune_period", 1, 255), ("initial_weight", 0, 63), ("causal_offset", 0, 255),
                             ("acausal_offset", 0, 255)):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"rule parameter {name} = {value}: must lie in {lo}..{hi} (structural kernel)")

    def mailbox(self) -> dict:
        """The kernel's mailbox fields (per-column sensor offsets as arrays)."""
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
    test_every: int = 20
    """samples per chunk (one ``sim.run()``); the test set runs after each"""
    start_weight: int = 12
    """weight of the initial synapses (the pool projections') of every level not in
    ``level_start_weights``; rewired ones get ``rule.initial_weight``"""
    test_fraction: float = 0.2
    encoding: Encoding = field(default_factory=Encoding)
    rule: RuleParameters = field(default_factory=RuleParameters)
    """the rule of every level not in ``level_rules``"""
    level_rules: tuple[tuple[int, RuleParameters], ...] = (
        (32, RuleParameters(initial_weight=8)),)
    """``(k, rule)``: levels with their own rule constants (tuned per level, see README)"""
    level_start_weights: tuple[tuple[int, int], ...] = ((32, 8),)
    """``(k, weight)``: levels with their own initial weight. The dense level starts (and
    rewires) weaker, so that its many uninformative receptors drive it less (README)"""

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs = {self.epochs}: train at least one epoch")
        if self.test_every < 1:
            raise ValueError(f"test_every = {self.test_every}: test after at least one sample")
        if not self.seeds:
            raise ValueError("give at least one seed")
        for k, weight in ((None, self.start_weight),) + tuple(self.level_start_weights):
            if not 0 <= weight <= 63:
                level = "" if k is None else f" (level k = {k})"
                raise ValueError(f"start_weight = {weight}{level}: a pooled synapse's weight lies in 0..63")
        self.layout()  # validates fan-ins against the pool

    def layout(self) -> Layout:
        return Layout(tuple(int(k) for k in self.fan_ins), self.neurons_per_class, self.encoding.n_receptors)

    def rule_of(self, k: int) -> RuleParameters:
        """The rule constants of level ``k``."""
        return dict(self.level_rules).get(int(k), self.rule)

    def start_weight_of(self, k: int) -> int:
        """The initial synapse weight of level ``k``."""
        return dict(self.level_start_weights).get(int(k), self.start_weight)


@dataclass
class SeedResult:
    """One seed's training: curves per chunk (index 0 = before training)."""

    seed: int
    samples_seen: np.ndarray          # (n_points,)
    accuracy: np.ndarray              # (n_points, n_levels) test accuracy
    fan_in: np.ndarray                # (n_points, n_columns) connected synapses after each chunk
    pruned: np.ndarray                # (n_points, n_levels) synapses rewired so far
    receptive_fields: np.ndarray      # (n_points, n_columns, n_receptors) summed weight per receptor
    test_labels: np.ndarray           # (n_test,)
    test_predictions: np.ndarray      # (n_levels, n_test) after training
    seconds: float
    chip_identity: str
    calibration_id: str


def session(config: "StructuralConfig", seed: int, progress: bool = False):
    """A PyNN session (``bss2_experiments.pynn``) on the configured emulated chip; its
    calibration (``CalibHXNeuronCuba`` defaults) is made on first use and cached."""
    import bss2_experiments.pynn as sim
    sim.setup(chip_id=config.chip_id, ideal=config.ideal, seed=seed, progress=progress)
    return sim


def evaluate(sim, net: Network, enc: Encoding, inputs: dict) -> np.ndarray:
    """Predicted class per level and test trial ``(n_levels, n_trials)``: one batched chip
    call without teachers and without the kernel."""
    with net.rule.disabled():
        result = sim.run_batch(enc.sample_ms, inputs)
    return classify(result, net, enc.sample_ms)


def train_chunk(sim, net: Network, enc: Encoding, rule: "RuleParameters", x01: np.ndarray, y: np.ndarray,
                rng: np.random.Generator, calls: int = 0, pruned: int = 0, prune: bool = True) -> dict:
    """One plastic ``sim.run()`` presenting ``x01``/``y`` with the teachers, the kernel called
    after every sample, pruning at every ``rule.prune_period``-th call (counted from the
    first chunk; none if not ``prune``). The pool projections then hold the receptors and
    weights the PPU left; returns its decoded mailbox (``calls``, ``pruned`` continue the
    given counts)."""
    set_training_inputs(net, enc, x01, y, rng, sim.get_current_time())
    net.rule.timer = sim.Timer(enc.sample_ms - 1.0, enc.sample_ms, len(y))
    net.rule.parameters = kernel_parameters(rule.mailbox() | ({} if prune else {"prune_period": 0}),
                                            net.layout.n_receptors, calls, pruned)
    sim.run(len(y) * enc.sample_ms)
    return host.decode_mailbox(KERNEL, net.rule.mailbox[0, 0])


def train_level(config: StructuralConfig, seed: int, k: int, progress: bool = False) -> dict:
    """Train and test level ``k`` of one seed (its split, initial connectivity, sample
    order, noise) in its own PyNN session; per test point (index 0 = before training)."""
    sim = session(config, seed)
    layout = Layout((k,), config.neurons_per_class, config.encoding.n_receptors)
    enc, rule = config.encoding, config.rule_of(k)
    rng = np.random.default_rng([seed, 7])               # the same samples and order for every level
    x_tr, y_tr, x_te, y_te = iris_split(seed, config.test_fraction)
    order = np.concatenate([rng.permutation(len(y_tr)) for _ in range(config.epochs)])
    test_spikes = enc.receptor_spikes(x_te, rng)          # the same test trials at every point and level
    net = build(sim, layout, config.start_weight_of(k), seed=int(np.random.default_rng([seed, k]).integers(2**31)))
    test = evaluation_inputs(net, test_spikes)
    chunks = [order[i:i + config.test_every] for i in range(0, order.size, config.test_every)]
    expected = layout.fan_in_of_column()
    points = [(0, fan_in(net), receptive_fields(net), 0, evaluate(sim, net, enc, test)[0])]
    calls = pruned = 0
    bar = _progress(len(chunks), f"seed {seed}, k = {k}", progress)
    for chunk in chunks:
        box = train_chunk(sim, net, enc, rule, x_tr[chunk], y_tr[chunk], rng, calls, pruned)
        calls, pruned = int(box["calls"]), int(box["pruned"])
        got = fan_in(net)
        if not np.array_equal(got, expected):
            bad = np.flatnonzero(got != expected)
            raise FanInError(f"seed {seed}, k = {k}, after {calls} kernel calls: label neurons {bad.tolist()} have "
                             f"fan-in {got[bad].tolist()}, expected {k}")
        points.append((points[-1][0] + len(chunk), got, receptive_fields(net), pruned,
                       evaluate(sim, net, enc, test)[0]))
        bar.update(1)
    bar.close()
    state = sim.simulator.state
    out = dict(identity=state.chip.identity, calibration_id=state.calibration_result.calibration_id,
               samples=np.array([p[0] for p in points]), fan_in=np.stack([p[1] for p in points]),
               fields=np.stack([p[2] for p in points]), pruned=np.array([p[3] for p in points]),
               predictions=np.stack([p[4] for p in points]), test_labels=y_te)
    sim.end()
    return out


def run_seed(config: StructuralConfig, seed: int, progress: bool = False) -> SeedResult:
    """Train and test every level of one seed (:func:`train_level`)."""
    t_start = time.perf_counter()
    levels = [train_level(config, seed, k, progress) for k in config.fan_ins]
    first = levels[0]
    accuracy = np.stack([(lv["predictions"] == lv["test_labels"][None, :]).mean(axis=1) for lv in levels], axis=1)
    return SeedResult(
        seed=seed, samples_seen=first["samples"], accuracy=accuracy,
        fan_in=np.concatenate([lv["fan_in"] for lv in levels], axis=1),
        pruned=np.stack([lv["pruned"] for lv in levels], axis=1),
        receptive_fields=np.concatenate([lv["fields"] for lv in levels], axis=1),
        test_labels=first["test_labels"], test_predictions=np.stack([lv["predictions"][-1] for lv in levels]),
        seconds=time.perf_counter() - t_start, chip_identity=first["identity"], calibration_id=first["calibration_id"])


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
        bio_ms = self.seeds[0].samples_seen[-1] * self.config.encoding.sample_ms
        return {
            "test_accuracy": {str(k): v for k, v in self.test_accuracy.items()},
            "test_accuracy_per_seed": {str(k): acc[:, lev].tolist() for lev, k in enumerate(self.config.fan_ins)},
            "test_accuracy_std": {str(k): float(acc[:, lev].std()) for lev, k in enumerate(self.config.fan_ins)},
            "samples_to_90_percent": {str(k): None if np.isnan(v) else v for k, v in self.samples_to_reach(0.9).items()},
            "fan_in_constant": bool(fan_in_ok),
            "test_points": int(self.seeds[0].samples_seen.size),
            "pruning_steps": {str(k): int(self.seeds[0].samples_seen[-1] // self.config.rule_of(k).prune_period)
                              for k in self.config.fan_ins},
            "synapses_rewired_per_seed": {str(k): [int(s.pruned[-1, lev]) for s in self.seeds]
                                          for lev, k in enumerate(self.config.fan_ins)},
            "seeds": [s.seed for s in self.seeds],
            "n_test": int(self.seeds[0].test_labels.size),
            "training_hardware_ms_per_seed": float(bio_ms / 1000.0),   # 1 biological ms = 1 hardware us
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
            "pruned": np.stack([x.pruned for x in s]),
            "receptive_fields": np.stack([x.receptive_fields for x in s]),
            "test_labels": np.stack([x.test_labels for x in s]),
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
    """One seed in a fresh PyNN session (a Dask worker's task)."""
    config, seed = args
    return run_seed(config, seed)


def calibrate(config: StructuralConfig, progress: bool = True) -> str:
    """Calibrate the chip for the network (or load the cached calibration) with one
    evaluation trial; returns the calibration id. Run before spreading seeds over workers,
    so that they load the calibration instead of each making it."""
    sim = session(config, config.seeds[0], progress)
    layout = Layout(config.fan_ins[:1], config.neurons_per_class, config.encoding.n_receptors)
    net = build(sim, layout, config.start_weight_of(config.fan_ins[0]), seed=0)
    x = iris_split(config.seeds[0], config.test_fraction)[2][:1]
    spikes = config.encoding.receptor_spikes(x, np.random.default_rng(0))
    evaluate(sim, net, config.encoding, evaluation_inputs(net, spikes))
    calibration_id = sim.simulator.state.calibration_result.calibration_id
    sim.end()
    return calibration_id


def run(config: StructuralConfig, progress: bool = True, workers: int | None = None,
        scheduler: str | None = None) -> StructuralResult:
    """All seeds of ``config``: in this process, or spread over Dask workers
    (``workers`` local processes or a ``scheduler`` address)."""
    t0 = time.perf_counter()
    calibrate(config, progress)
    if workers or scheduler:
        from bss2_experiments.distributed import dask_client, mapper
        with dask_client(scheduler, workers) as client:
            seeds = mapper(client, show_progress=progress)(_seed_task, [(config, s) for s in config.seeds])
    else:
        seeds = [run_seed(config, s, progress=progress) for s in config.seeds]
    return StructuralResult(config, seeds, seeds[0].chip_identity, seeds[0].calibration_id, time.perf_counter() - t0)
