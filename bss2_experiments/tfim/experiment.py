"""``bss2 run tfim``: ground state of the transverse-field Ising chain on a sampling network.

Visible units are the spins (``z_i = 1``: up), hidden units give the network its
expressiveness (an RBM: weights only between the layers, :mod:`.rbm`); ``psi(s) = sqrt(p(s))``
with ``p`` the visible distribution sampled on the emulated chip, symmetrised over the global
spin flip (:func:`variational.symmetrised`). The energy is minimised by stochastic
reconfiguration with samples from the chip in the loop (:mod:`.variational`, :mod:`.sr`), as
Klassert et al., iScience 25, 104707 (2022) did on BrainScaleS-2.

Next to the chip run, the same ansatz is trained in software so that the chip's result can
be split into its causes:

- ``capacity``: SR with exact expectations over all ``2**N`` states (no sampling noise);
- ``exact sampler``: SR with as many independent exact samples per iteration as the chip gives;
- ``translated``: the exact sampler's parameters translated to the chip without training there
  (what the chip's deviations from a Boltzmann machine cost before in-the-loop training).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass

import numpy as np

from bss2_experiments.sampling.experiment import SamplingConfig, build_network

from . import hamiltonian as ham
from . import rbm
from .variational import (
    History,
    VariationalConfig,
    optimise_exact,
    sampled_distribution,
    symmetrised,
    train,
)


@dataclass(frozen=True)
class TFIMConfig:
    n_spins: int = 6
    field: float = ham.CRITICAL_FIELD
    coupling: float = 1.0
    n_hidden: int | None = None
    """Hidden units (None: 2 N)."""
    seed: int = 0
    chip_id: int = 0
    ideal: bool = False
    training: VariationalConfig = dataclasses.field(default_factory=VariationalConfig)
    n_trials: int = 40
    """Independent trials per iteration (one chip call)."""
    duration_us: float = 1000.0
    """Hardware time per trial; states are read every 1 us after a 20 us burn-in."""
    init_scale: float = 0.1
    """Std of the initial weights (Boltzmann units)."""
    eval_trials: int = 100
    eval_duration_us: float = 2000.0
    """The final (long) chip run that measures the trained state: trials x hardware us."""
    references: bool = True
    """Also train the ansatz in software (capacity, exact sampler) and translate it to the chip."""
    capacity_iterations: int = 200

    @property
    def hidden(self) -> int:
        return 2 * self.n_spins if self.n_hidden is None else self.n_hidden

    def validate(self) -> TFIMConfig:
        ham.check_spins(self.n_spins)
        if not np.isfinite(self.field) or self.field < 0:
            raise ValueError(f"--field {self.field}: give a finite field h >= 0 (in units of J)")
        if not 1 <= self.hidden <= 60:
            raise ValueError(f"--hidden {self.hidden}: use 1..60 hidden units")
        if self.training.iterations < 1 or self.n_trials < 1:
            raise ValueError("--iterations and --trials must be >= 1")
        return self


@dataclass
class TFIMResult:
    config: TFIMConfig
    exact_energy: float
    exact_psi: np.ndarray
    learned: np.ndarray
    """Sampled visible distribution of the final long chip run, symmetrised over the global flip."""
    history: History
    weights: np.ndarray
    """Trained parameters ``(a, c, W)`` flattened (Boltzmann units)."""
    samples_per_iteration: int = 0
    references: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    """name -> symmetrised visible distribution: ``capacity``, ``exact_sampler`` (exact marginals
    of the software-trained ansatz), ``translated`` (sampled on the chip)."""
    chip_identity: str | None = None
    calibration_id: str | None = None
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def fidelity(self) -> float:
        return ham.fidelity(self.learned, self.exact_psi)

    @property
    def energy(self) -> float:
        c = self.config
        return ham.energy(self.learned, c.n_spins, c.field, c.coupling)

    @property
    def energy_error(self) -> float:
        """Relative error ``(E - E0) / |E0|``."""
        return (self.energy - self.exact_energy) / abs(self.exact_energy)

    def reference_figures(self) -> dict[str, float]:
        c = self.config
        out = {}
        for name, p in self.references.items():
            out[f"fidelity_{name}"] = ham.fidelity(p, self.exact_psi)
            e = ham.energy(p, c.n_spins, c.field, c.coupling)
            out[f"energy_error_{name}"] = (e - self.exact_energy) / abs(self.exact_energy)
        return out

    def summary(self) -> dict:
        return {"fidelity": self.fidelity, "energy_error": self.energy_error, "energy": self.energy,
                "exact_energy": self.exact_energy, **self.reference_figures(), "n_spins": self.config.n_spins,
                "n_hidden": self.config.hidden, "field": self.config.field,
                "samples_per_iteration": self.samples_per_iteration,
                "chip_identity": self.chip_identity, "calibration_id": self.calibration_id, "seconds": self.seconds,
                "config": asdict(self.config)}

    def arrays(self) -> dict:
        out = {"exact_psi": self.exact_psi, "learned": self.learned, "weights": self.weights,
               "energy_history": np.array(self.history.energy), "fidelity_history": np.array(self.history.fidelity)}
        out.update({f"reference_{name}": p for name, p in self.references.items()})
        return out

    def save(self, base: str, provenance):
        from bss2_experiments.results import run_folder, save_result
        folder = run_folder(base, "tfim")
        save_result(folder, "tfim", provenance, self.summary(), self.arrays(), figure(self))
        return folder


def run(config: TFIMConfig = TFIMConfig(), progress: bool = True) -> TFIMResult:
    """Calibrate a sampling network of ``N + M`` samplers on the emulated chip, train it in the
    loop, measure the trained state in a long run; then (``config.references``) the software
    references."""
    config.validate()
    seconds = {}
    start = time.perf_counter()
    n, m = config.n_spins, config.hidden
    e0, psi = ham.ground_state(n, config.field, config.coupling)
    base = SamplingConfig(seed=config.seed, chip_id=config.chip_id, ideal=config.ideal, reference=None)
    net, _, translation = build_network(base, "emulator", progress, n_units=n + m)
    limit = translation.weight_limit(base.setup.weight_max)
    training = dataclasses.replace(config.training, weight_limit=min(config.training.weight_limit, limit))
    seconds["calibration"] = time.perf_counter() - start

    def chip_states(model: rbm.RBM, trials: int, duration_us: float) -> np.ndarray:
        return net.sample(*translation.to_hardware(*rbm.to_network(model)), trials, duration_us).states[:, :n]

    initial = rbm.RBM.random(n, m, np.random.default_rng(config.seed), config.init_scale)
    start = time.perf_counter()
    model, history = train(lambda r: chip_states(r, config.n_trials, config.duration_us), initial, training, n,
                           config.field, config.coupling, psi, progress, "SR on the chip")
    learned = sampled_distribution(chip_states(model, config.eval_trials, config.eval_duration_us))
    seconds["chip"] = time.perf_counter() - start
    setup = base.setup
    per_trial = len(np.arange(setup.burn_in_us, config.duration_us, setup.sample_period_us))
    result = TFIMResult(config, e0, psi, learned, history, model.flat(), per_trial * config.n_trials,
                        chip_identity=net.chip_identity, calibration_id=net.calibration.calibration_id,
                        seconds=seconds)
    if config.references:
        start = time.perf_counter()
        capacity = optimise_exact(initial, training, n, config.field, config.coupling, config.capacity_iterations)
        result.references["capacity"] = symmetrised(rbm.marginal(capacity))
        rng = np.random.default_rng(config.seed + 1)
        software, _ = train(lambda r: rbm.sample(r, result.samples_per_iteration, rng), initial, training, n,
                            config.field, config.coupling, progress=progress, desc="SR, exact sampler")
        result.references["exact_sampler"] = symmetrised(rbm.marginal(software))
        result.references["translated"] = sampled_distribution(
            chip_states(software, config.eval_trials, config.eval_duration_us))
        seconds["references"] = time.perf_counter() - start
    return result


def figure(result: TFIMResult):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    c = result.config
    ax[0].plot(result.history.energy, label="chip samples")
    ax[0].axhline(result.exact_energy, color="k", ls="--", label="exact E0")
    ax[0].set(xlabel="SR iteration", ylabel="<H> (J)", title=f"N = {c.n_spins}, h = {c.field:g} J, M = {c.hidden}")
    ax[0].legend()
    ax[1].plot(1 - np.array(result.history.fidelity), label="chip samples, per iteration")
    ax[1].axhline(1 - result.fidelity, color="C1", ls="--", label=f"trained, long run: {result.fidelity:.4f}")
    for (name, value), colour in zip(result.reference_figures().items(), ("C2", "C3", "C4", "C5", "C6", "C7")):
        if name.startswith("fidelity_"):
            ax[1].axhline(max(1 - value, 1e-4), color=colour, ls=":", label=f"{name[9:]}: {value:.4f}")
    ax[1].set(xlabel="SR iteration", ylabel="infidelity 1 - F (floor 1e-4)", yscale="log")
    ax[1].legend(fontsize=7)
    x = np.arange(result.exact_psi.size)
    ax[2].plot(x, result.exact_psi ** 2, "k-", label="|psi_0|^2 exact")
    ax[2].plot(x, result.learned, ".", label="chip p(s), symmetrised")
    ax[2].set(xlabel="basis state", ylabel="probability", title=f"energy error {100 * result.energy_error:.2f} %")
    ax[2].legend()
    fig.tight_layout()
    return fig
