"""Fidelity and energy error against chain length (``bss2 run tfim --scan 2 4 6 8 10``)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .experiment import TFIMConfig, TFIMResult, run

REFERENCES = ("capacity", "exact_sampler", "translated")


def _percent(error: np.ndarray) -> np.ndarray:
    """Relative energy errors in %, floored at 1e-6 % for the log axis."""
    return np.maximum(100 * error, 1e-6)


def scan(config: TFIMConfig, spins: list[int], progress: bool = True) -> list[TFIMResult]:
    """One run of ``config`` per chain length."""
    return [run(dataclasses.replace(config, n_spins=int(n)), progress) for n in spins]


def save_scan(results: list[TFIMResult], base: str, provenance):
    """JSON + NPZ + PNG of the scan in ``base/tfim_scan/<stamp>/``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bss2_experiments.results import run_folder, save_result
    n = np.array([r.config.n_spins for r in results])
    columns = {"fidelity": np.array([r.fidelity for r in results]),
               "energy_error": np.array([r.energy_error for r in results]),
               "n_hidden": np.array([r.config.hidden for r in results])}
    for name in REFERENCES:
        if all(name in r.references for r in results):
            figures = [r.reference_figures() for r in results]
            columns[f"fidelity_{name}"] = np.array([f[f"fidelity_{name}"] for f in figures])
            columns[f"energy_error_{name}"] = np.array([f[f"energy_error_{name}"] for f in figures])
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    ax[0].plot(n, columns["fidelity"], "o-", label="chip (in the loop)")
    ax[1].plot(n, _percent(columns["energy_error"]), "o-", label="chip (in the loop)")
    for name, marker in zip(REFERENCES, ("s:", "^:", "x:")):
        if f"fidelity_{name}" in columns:
            ax[0].plot(n, columns[f"fidelity_{name}"], marker, label=name.replace("_", " "))
            ax[1].plot(n, _percent(columns[f"energy_error_{name}"]), marker, label=name.replace("_", " "))
    ax[0].axhline(0.98, color="gray", ls="--", lw=0.8, label="0.98")
    ax[0].set(xlabel="spins N", ylabel="fidelity", title=f"TFIM, h = {results[0].config.field:g} J")
    ax[0].legend(fontsize=7)
    ax[1].set(xlabel="spins N", ylabel="energy error (%)", yscale="log")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    summary = {"n_spins": n.tolist(), **{k: v.tolist() for k, v in columns.items()},
               "field": results[0].config.field}
    folder = run_folder(base, "tfim_scan")
    save_result(folder, "tfim_scan", provenance, summary, {"n_spins": n, **columns}, fig)
    return folder, summary
