"""Variational training of ``psi = sqrt(p)`` with stochastic reconfiguration, from any sampler.

One loop serves the chip and the software references, so the three can be compared on equal
terms (Klassert et al., iScience 25, 104707 (2022) trained on BrainScaleS-2 samples the
same way):

1. draw visible states ``v ~ p`` from the sampler (the chip, or exact software samples);
2. ``p_sym``: their histogram symmetrised over the global spin flip (the Hamiltonian's
   symmetry, which a sampler settles into one sector of), ``E_loc`` of every sample from it;
3. ``O = d log p(v) / d theta`` of the ansatz (:func:`rbm.log_derivatives`); one SR step
   (:func:`sr.sr_step`); weights clipped to ``|W| <= weight_limit`` (what the chip realises).

Since ``E_loc`` of ``p_sym`` is flip-symmetric, ``d<H>_sym / d theta = <(E_loc - <H>) d log p /
d theta>_p``: samples of the unsymmetrised network give the gradient of the symmetrised
state. :func:`optimise_exact` runs the same update with exact expectations over all ``2**N``
states: the capacity of the ansatz without any sampling noise.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from bss2_experiments.sampling.boltzmann import all_states, state_index

from . import hamiltonian as ham
from . import rbm
from .sr import SRConfig, sr_step


@dataclass(frozen=True)
class VariationalConfig:
    iterations: int = 50
    sr: SRConfig = dataclasses.field(default_factory=SRConfig)
    lr_decay: float = 0.97
    """The SR step ``eta`` is multiplied by this every iteration."""
    average_fraction: float = 0.3
    """The result is the mean of the parameters over this last fraction of iterations."""
    weight_limit: float = np.inf
    """Largest ``|W|`` (Boltzmann units); the chip's is set by its largest hardware weight."""


@dataclass
class History:
    energy: list[float] = dataclasses.field(default_factory=list)
    """``<H>`` of each iteration's symmetrised histogram (J)."""
    fidelity: list[float] = dataclasses.field(default_factory=list)
    parameters: list[np.ndarray] = dataclasses.field(default_factory=list)


def symmetrised(p: np.ndarray) -> np.ndarray:
    """``(p(s) + p(-s)) / 2``: the global spin flip reverses the basis-state index."""
    return 0.5 * (p + p[::-1])


def sampled_distribution(v: np.ndarray) -> np.ndarray:
    """Symmetrised histogram of visible states ``v`` (k, N)."""
    counts = np.bincount(state_index(v), minlength=2 ** v.shape[1])
    return symmetrised(counts / counts.sum())


Sampler = Callable[[rbm.RBM], np.ndarray]
"""Visible states (k, N) sampled with the given parameters."""


def _step(model: rbm.RBM, states: np.ndarray, weights: np.ndarray, e_loc: np.ndarray, sr: SRConfig,
          limit: float) -> rbm.RBM:
    step, _ = sr_step(rbm.log_derivatives(model, states), e_loc, sr, weights)
    new = model.with_flat(model.flat() + step)
    new.w = np.clip(new.w, -limit, limit)
    return new


def train(sampler: Sampler, start: rbm.RBM, config: VariationalConfig, n_spins: int, field: float,
          coupling: float = 1.0, psi_exact: np.ndarray | None = None,
          progress: bool = False, desc: str = "SR training") -> tuple[rbm.RBM, History]:
    """SR training from ``sampler``'s states; returns the (averaged) parameters and the history.
    Samples are grouped by visible state (at most ``2**N`` rows enter ``S``)."""
    model, history = start, History()
    for it in tqdm(range(config.iterations), desc=desc, leave=False, disable=not progress):
        v = np.asarray(sampler(model))
        p_sym = sampled_distribution(v)
        counts = np.bincount(state_index(v), minlength=p_sym.size)
        seen = np.flatnonzero(counts)
        history.energy.append(ham.energy(p_sym, n_spins, field, coupling))
        if psi_exact is not None:
            history.fidelity.append(ham.fidelity(p_sym, psi_exact))
        e_loc = ham.local_energies(p_sym, n_spins, field, coupling)[seen]
        sr = dataclasses.replace(config.sr, learning_rate=config.sr.learning_rate * config.lr_decay ** it)
        model = _step(model, all_states(n_spins)[seen], counts[seen] / counts.sum(), e_loc, sr, config.weight_limit)
        history.parameters.append(model.flat())
    return _averaged(model, history, config), history


def optimise_exact(start: rbm.RBM, config: VariationalConfig, n_spins: int, field: float,
                   coupling: float = 1.0, iterations: int | None = None) -> rbm.RBM:
    """The same SR update with exact expectations over all states (no sampling noise, no decay):
    the best state the ansatz reaches with this optimiser."""
    model, states = start, all_states(n_spins)
    for _ in range(config.iterations if iterations is None else iterations):
        p = rbm.marginal(model)
        e_loc = ham.local_energies(symmetrised(p), n_spins, field, coupling)
        model = _step(model, states, p, e_loc, config.sr, config.weight_limit)
    return model


def _averaged(model: rbm.RBM, history: History, config: VariationalConfig) -> rbm.RBM:
    keep = max(1, round(config.average_fraction * len(history.parameters)))
    if not history.parameters:
        return model
    return model.with_flat(np.mean(history.parameters[-keep:], axis=0))
