"""Fidelity and energy error against chain length (``bss2 run tfim --scan 2 4 6 8 10``)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .experiment import TFIMConfig, TFIMResult, run


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
    fidelity = np.array([r.fidelity for r in results])
    error = np.array([r.energy_error for r in results])
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(n, fidelity, "o-")
    ax[0].axhline(0.98, color="gray", ls=":", label="0.98")
    ax[0].set(xlabel="spins N", ylabel="fidelity", title=f"TFIM, h = {results[0].config.field:g} J")
    ax[0].legend()
    ax[1].plot(n, 100 * error, "o-")
    ax[1].set(xlabel="spins N", ylabel="energy error (%)")
    fig.tight_layout()
    summary = {"n_spins": n.tolist(), "fidelity": fidelity.tolist(), "energy_error": error.tolist(),
               "field": results[0].config.field}
    folder = run_folder(base, "tfim_scan")
    save_result(folder, "tfim_scan", provenance, summary, {"n_spins": n, "fidelity": fidelity, "energy_error": error},
                fig)
    return folder, summary
