"""Figures like the seed document's Figure 19 (Billaudelle et al. 2021): receptive fields
forming over training (19B) and test accuracy against training time per sparsity level
(19C), plus the fan-in of every label neuron at every test point."""
from __future__ import annotations

import numpy as np

from .encoding import N_CLASSES, N_FEATURES

FEATURES = ("sepal length", "sepal width", "petal length", "petal width")


def receptive_field_panels(fig, gs_row, fields: np.ndarray, times: list[int], fan_in: int,
                           neurons_per_class: int, n_per_feature: int) -> None:
    """One row of panels: the summed weights (receptor x label neuron) of one level at
    several training times. ``fields``: (n_times, n_neurons, n_receptors)."""
    for i, (rf, t) in enumerate(zip(fields, times)):
        ax = fig.add_subplot(gs_row[i])
        ax.imshow(rf.T, aspect="auto", cmap="magma", vmin=0, vmax=63, interpolation="nearest")
        for b in range(1, N_CLASSES):
            ax.axvline(b * neurons_per_class - 0.5, color="w", lw=0.6)
        for b in range(1, N_FEATURES):
            ax.axhline(b * n_per_feature - 0.5, color="w", lw=0.6)
        ax.set_title(f"k = {fan_in}, {t} samples", fontsize=8)
        ax.set_xticks([(c + 0.5) * neurons_per_class - 0.5 for c in range(N_CLASSES)])
        ax.set_xticklabels(["setosa", "versicolor", "virginica"], fontsize=6)
        ax.set_yticks([(f + 0.5) * n_per_feature - 0.5 for f in range(N_FEATURES)] if i == 0 else [])
        ax.set_yticklabels(FEATURES if i == 0 else [], fontsize=6)


def figure(result):
    """The run's figure: 19B-like receptive fields of the first seed (rows: levels,
    columns: training time), 19C-like accuracy curves (mean and range over seeds), and
    the fan-in of every neuron at every test point."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg, seeds = result.config, result.seeds
    layout = cfg.layout()
    first = seeds[0]
    n_points = first.samples_seen.size
    picks = sorted({0, 1, n_points // 4, n_points // 2, n_points - 1})
    fig = plt.figure(figsize=(3 + 2.0 * len(picks), 2.6 * (len(cfg.fan_ins) + 1)))
    gs = fig.add_gridspec(len(cfg.fan_ins) + 1, len(picks), hspace=0.55, wspace=0.15)
    for lev, k in enumerate(cfg.fan_ins):
        cols = layout.columns(lev)
        fields = first.receptive_fields[picks][:, cols]
        receptive_field_panels(fig, [gs[lev, i] for i in range(len(picks))], fields,
                               [int(first.samples_seen[p]) for p in picks], k, cfg.neurons_per_class,
                               cfg.encoding.receptors_per_feature)
    bottom = gs[-1, :].subgridspec(1, 2, wspace=0.3)
    ax = fig.add_subplot(bottom[0])
    samples = first.samples_seen
    acc = np.stack([s.accuracy for s in seeds])               # (seeds, points, levels)
    for lev, k in enumerate(cfg.fan_ins):
        line, = ax.plot(samples, 100 * acc[:, :, lev].mean(0), label=f"k = {k}")
        ax.fill_between(samples, 100 * acc[:, :, lev].min(0), 100 * acc[:, :, lev].max(0),
                        color=line.get_color(), alpha=0.2, lw=0)
    ax.axhline(100 / N_CLASSES, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("training samples presented")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"mean (range) over {len(seeds)} seeds", fontsize=8)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(bottom[1])
    for lev, k in enumerate(cfg.fan_ins):
        cols = layout.columns(lev)
        f = np.concatenate([s.fan_in[:, cols] for s in seeds], axis=1)
        ax.plot(samples, f.min(1), color=f"C{lev}", ls="--", lw=0.8)
        ax.plot(samples, f.max(1), color=f"C{lev}", lw=0.8, label=f"k = {k}: min/max over neurons")
    ax.set_xlabel("training samples presented")
    ax.set_ylabel("fan-in (connected synapses)")
    ax.legend(fontsize=7)
    fig.suptitle(f"Structural plasticity on Iris, PPU kernel 'structural', {result.chip_identity}", fontsize=9)
    return fig
