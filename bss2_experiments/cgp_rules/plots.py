"""Figure like seed Figure 20c: best fitness over generations per seed, and the champion's
student weights converging to the teacher weights (held-out weights, both initial weights)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def figure(result) -> plt.Figure:
    fig, (ax_fit, ax_w) = plt.subplots(1, 2, figsize=(10, 3.8))
    for run in result.runs:
        ax_fit.plot(np.arange(len(run.best_fitness)), run.best_fitness, label=f"seed {run.seed}")
    ax_fit.set_xlabel("generation")
    ax_fit.set_ylabel("best fitness  (- mean |u - u_target|, mV)")
    ax_fit.legend(frameon=False)
    ax_fit.set_title("evolution on the emulated chip")
    times, weights = result.traces
    weights = weights.reshape(len(times), -1)
    teacher = np.asarray(result.config.held_out.pairs()[0]).ravel()
    colours = plt.cm.viridis(np.linspace(0.1, 0.9, len(np.unique(teacher))))
    for k, w_t in enumerate(teacher):
        colour = colours[int(np.searchsorted(np.unique(teacher), w_t))]
        ax_w.plot(times, weights[:, k], color=colour)
        ax_w.axhline(w_t, color=colour, ls="--", lw=0.8)
    ax_w.set_xlabel("time (biological ms)")
    ax_w.set_ylabel("student weight (nA); dashed: teacher")
    ax_w.set_title(f"champion {result.expressions[result.best]}", fontsize=8)
    fig.tight_layout()
    return fig
