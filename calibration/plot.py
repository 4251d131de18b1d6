"""Before/after histograms of a calibration, one panel per calibrated quantity."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .result import CalibrationResult

UNITS = {"leak": "CADC LSB", "reset": "CADC LSB", "threshold": "CADC LSB", "tau_m": "us",
         "tau_syn_exc": "us", "tau_syn_inh": "us", "syn_strength_exc": "CADC LSB / us / weight",
         "syn_strength_inh": "CADC LSB / us / weight"}


def histograms(result: CalibrationResult, path: str | Path) -> Path:
    """Save a PNG with, per quantity, the values at the median parameters ("before") and
    as calibrated ("after"), with both spreads in the legend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result.before)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    std_before, std_after = result.std_before, result.std_after
    for ax, name in zip(axes.ravel(), names):
        before = np.asarray(result.before[name], dtype=float)
        after = np.asarray(result.achieved[name], dtype=float)
        values = np.concatenate([before, after])
        values = values[np.isfinite(values)]
        bins = np.linspace(values.min(), values.max(), 60) if values.size else 10
        ax.hist(before[np.isfinite(before)], bins=bins, color="tab:gray", alpha=0.6,
                label=f"median DAC, std {std_before[name]:.3g}")
        ax.hist(after[np.isfinite(after)], bins=bins, color="tab:blue", alpha=0.8,
                label=f"calibrated, std {std_after[name]:.3g}")
        ax.set_title(name)
        ax.set_xlabel(UNITS.get(name, ""))
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    failed = result.failed_neurons
    fig.suptitle(f"{result.chip_identity}  calibration {result.calibration_id}  "
                 f"{512 - failed.size}/512 neurons reach every target")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
