"""Figures: journeys like seed Figure 16E (one journey; many overlaid) and the closest
approach to the nest against the outbound route length (Stone et al. 2017, Fig. 7)."""
from __future__ import annotations

import numpy as np

from . import world


def figure(journeys: world.Journeys, closest: np.ndarray, curve: dict, title: str):
    """``curve``: {label: (outbound lengths, mean closest, sd)}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    k = int(np.argmin(np.abs(closest - np.median(closest))))   # a typical journey
    _journey(axes[0], journeys, k, alpha=1.0, label=True)
    axes[0].set_title(f"one journey (closest approach {closest[k]:.1f})")
    for i in range(min(len(closest), 100)):
        _journey(axes[1], journeys, i, alpha=0.35, label=i == 0)
    axes[1].set_title(f"{len(closest)} journeys, {100 * np.mean(closest < world.HOME_RANGE):.0f} % within "
                      f"{world.HOME_RANGE:.0f} of the nest")
    for ax in axes[:2]:
        ax.plot(0, 0, "k*", ms=14, zorder=5)
        ax.add_patch(plt.Circle((0, 0), world.HOME_RANGE, fill=False, ls="--", color="k"))
        ax.set_aspect("equal")
        ax.set_xlabel("x (steps)")
        ax.set_ylabel("y (steps)")
    for label, (lengths, mean, sd) in curve.items():
        axes[2].errorbar(lengths, mean, yerr=sd, marker="o", capsize=3, label=label)
    axes[2].axhline(world.HOME_RANGE, color="k", ls="--", lw=1, label="home range")
    axes[2].set_xlabel("outbound route (steps)")
    axes[2].set_ylabel("closest approach to the nest (steps)")
    axes[2].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _journey(ax, journeys: world.Journeys, i: int, alpha: float, label: bool) -> None:
    p = journeys.positions[i]
    n = journeys.outbound_steps
    ax.plot(p[:n, 0], p[:n, 1], color="tab:red", lw=0.8, alpha=alpha, label="outbound" if label else None)
    ax.plot(p[n - 1:, 0], p[n - 1:, 1], color="tab:blue", lw=0.8, alpha=alpha, label="homing" if label else None)
    if label:
        ax.legend(loc="best", fontsize=8)
