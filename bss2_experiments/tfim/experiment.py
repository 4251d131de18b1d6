"""``bss2 run tfim``: ground state of the transverse-field Ising chain on a sampling network.

Visible units are the spins (``z_i = 1``: up), hidden units give the network its
expressiveness; ``psi(s) = sqrt(p(s))`` with ``p`` the visible distribution sampled on the
emulated chip. The energy ``<H> = sum_s p(s) E_loc(s)`` is minimised variationally with the
gradient ``d<H>/dtheta = <(E_loc - <H>) d log p / dtheta>`` estimated from chip samples
(for an RBM, ``d log p(v) / dW_ij = v_i h_j`` minus its model mean, which cancels in the
covariance), as Klassert et al., iScience 25, 104707 (2022) did on BrainScaleS-2.
``E_loc`` uses the sampled histogram of ``p``.

The Hamiltonian is symmetric under flipping all spins, and so is its ground state, while a
sampling network trained by gradient descent settles into one of the two ferromagnetic
sectors. The wave function is therefore built from the sampled distribution symmetrised over
the global flip, ``psi(s) = sqrt((p(s) + p(-s)) / 2)`` (:func:`symmetrised`); the gradient
estimator keeps its form, with ``E_loc`` of the symmetrised state (it is flip-symmetric).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

from bss2_experiments.sampling import boltzmann as bm
from bss2_experiments.sampling.experiment import SamplingConfig, build_network
from bss2_experiments.sampling.training import TrainingConfig

from . import hamiltonian as ham


@dataclass(frozen=True)
class TFIMConfig:
    n_spins: int = 6
    field: float = ham.CRITICAL_FIELD
    coupling: float = 1.0
    n_hidden: int = 12
    seed: int = 0
    chip_id: int = 0
    ideal: bool = False
    training: TrainingConfig = TrainingConfig(iterations=80, learning_rate=0.5, lr_decay=0.98, momentum=0.5,
                                              n_trials=40, duration_us=1000.0)
    init_scale: float = 0.1
    eval_trials: int = 100
    eval_duration_us: float = 2000.0

    def validate(self) -> "TFIMConfig":
        ham.check_spins(self.n_spins)
        if not np.isfinite(self.field) or self.field < 0:
            raise ValueError(f"--field {self.field}: give a finite field h >= 0 (in units of J)")
        if not 1 <= self.n_hidden <= 60:
            raise ValueError(f"n_hidden = {self.n_hidden}: use 1..60")
        return self


@dataclass
class TFIMResult:
    config: TFIMConfig
    exact_energy: float
    exact_psi: np.ndarray
    learned: np.ndarray
    """Sampled visible distribution of the final long run, symmetrised over the global flip."""
    energy_history: np.ndarray
    fidelity_history: np.ndarray
    chip_identity: str | None = None
    calibration_id: str | None = None
    seconds: float = 0.0

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

    def summary(self) -> dict:
        return {"fidelity": self.fidelity, "energy_error": self.energy_error, "energy": self.energy,
                "exact_energy": self.exact_energy, "n_spins": self.config.n_spins, "field": self.config.field,
                "chip_identity": self.chip_identity, "calibration_id": self.calibration_id, "seconds": self.seconds,
                "config": asdict(self.config)}

    def arrays(self) -> dict:
        return {"exact_psi": self.exact_psi, "learned": self.learned, "energy_history": self.energy_history,
                "fidelity_history": self.fidelity_history}

    def save(self, base: str, provenance):
        from bss2_experiments.results import run_folder, save_result
        folder = run_folder(base, "tfim")
        save_result(folder, "tfim", provenance, self.summary(), self.arrays(), figure(self))
        return folder


def symmetrised(p: np.ndarray) -> np.ndarray:
    """``(p(s) + p(-s)) / 2``: the global spin flip reverses the basis-state index."""
    return 0.5 * (p + p[::-1])


def train(net, translation, config: TFIMConfig, psi_exact: np.ndarray, progress: bool = False):
    """Variational training; returns ``(W, b, energies, fidelities)`` (per iteration, from that
    iteration's samples)."""
    n, nv = net.n, config.n_spins
    rng = np.random.default_rng(config.seed)
    mask = np.zeros((n, n), bool)
    mask[:nv, nv:] = mask[nv:, :nv] = True
    upper = np.triu(rng.normal(0.0, config.init_scale, (n, n)), 1)
    w, b = np.where(mask, upper + upper.T, 0.0), np.zeros(n)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    t = config.training
    energies, fidelities, weights, biases = [], [], [], []
    for it in tqdm(range(t.iterations), desc="variational training", leave=False, disable=not progress):
        z = net.sample(*translation.to_hardware(w, b), t.n_trials, t.duration_us).states
        p = symmetrised(bm.histogram(z[:, :nv]))
        e_loc = ham.local_energies(p, nv, config.field, config.coupling)[bm.state_index(z[:, :nv])]
        energies.append(ham.energy(p, nv, config.field, config.coupling))
        fidelities.append(ham.fidelity(p, psi_exact))
        de = (e_loc - e_loc.mean())[:, None] * 1.0
        zf = z.astype(float)
        grad_w = (zf * de).T @ zf / z.shape[0]
        grad_b = (zf * de).mean(axis=0)
        eta = t.learning_rate * t.lr_decay ** it
        vw = t.momentum * vw - eta * np.where(mask, grad_w + grad_w.T, 0.0) / 2
        vb = t.momentum * vb - eta * grad_b
        w, b = w + vw, b + vb
        weights.append(w)
        biases.append(b)
    keep = max(1, int(round(t.average_fraction * t.iterations)))
    if t.iterations:
        w, b = np.mean(weights[-keep:], axis=0), np.mean(biases[-keep:], axis=0)
    return w, b, np.array(energies), np.array(fidelities)


def run(config: TFIMConfig = TFIMConfig(), progress: bool = True) -> TFIMResult:
    config.validate()
    start = time.perf_counter()
    e0, psi = ham.ground_state(config.n_spins, config.field, config.coupling)
    base = SamplingConfig(seed=config.seed, chip_id=config.chip_id, ideal=config.ideal, reference=None)
    net, _, translation = build_network(base, "emulator", progress, n_units=config.n_spins + config.n_hidden)
    w, b, energies, fidelities = train(net, translation, config, psi, progress)
    z = net.sample(*translation.to_hardware(w, b), config.eval_trials, config.eval_duration_us).states
    return TFIMResult(config, e0, psi, symmetrised(bm.histogram(z[:, :config.n_spins])), energies, fidelities,
                      net.chip_identity,
                      net.calibration.calibration_id, time.perf_counter() - start)


def figure(result: TFIMResult):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    ax[0].plot(result.energy_history, label="sampled")
    ax[0].axhline(result.exact_energy, color="k", ls="--", label="exact E0")
    ax[0].set(xlabel="iteration", ylabel="<H> (J)", title=f"N = {result.config.n_spins}, h = {result.config.field:g}")
    ax[0].legend()
    ax[1].plot(result.fidelity_history)
    ax[1].set(xlabel="iteration", ylabel="fidelity", title=f"final fidelity {result.fidelity:.4f}")
    x = np.arange(result.exact_psi.size)
    ax[2].plot(x, result.exact_psi ** 2, "k-", label="|psi_0|^2 exact")
    ax[2].plot(x, result.learned, ".", label="sampled p(s)")
    ax[2].set(xlabel="basis state", ylabel="probability", title=f"energy error {100 * result.energy_error:.2f} %")
    ax[2].legend()
    fig.tight_layout()
    return fig
