"""Figures of a TTFS run: training curves, output spike-time raster, classified Yin-Yang
plane (as in Goeltz et al. 2021, Fig. 1 / the SGA3 D3.11 illustration)."""
from __future__ import annotations

import numpy as np

from .loss import predict

CLASS_COLOURS = ("tab:red", "tab:green", "tab:blue", "tab:orange", "tab:purple", "tab:brown", "tab:pink",
                 "tab:gray", "tab:olive", "tab:cyan")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def training_curves(ax, result) -> None:
    """Accuracy per epoch: software pre-training (if any), then training on the forward substrate."""
    pre = result.pretrain_history
    offset = 0
    if pre is not None and pre.validation_accuracy:
        e = np.arange(len(pre.validation_accuracy))
        ax.plot(e, pre.validation_accuracy, color="tab:gray", label="validation (software pre-training)")
        offset = len(pre.validation_accuracy) - 1
        ax.axvline(offset, color="k", lw=0.6, ls=":")
    h = result.history
    ax.plot(offset + np.arange(len(h.validation_accuracy)), h.validation_accuracy, color="tab:blue",
            label=f"validation ({result.backend})")
    ax.plot(offset + 1 + np.arange(len(h.train_accuracy)), h.train_accuracy, color="tab:orange", lw=0.8,
            label="training (during epoch)")
    if h.best_epoch is not None:
        ax.axvline(offset + h.best_epoch, color="tab:blue", lw=0.6, ls="--", label=f"kept: epoch {h.best_epoch}")
    ax.axhline(result.test_accuracy, color="tab:red", lw=0.8, ls="--", label=f"test {100 * result.test_accuracy:.1f} %")
    ax.set_ylim(max(0.0, min(0.9, ax.get_ylim()[0])), 1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7, loc="lower right")


def output_raster(ax, result) -> None:
    """First spike of every output neuron for every test sample, samples sorted by label."""
    tau_us = result.config.hardware.tau_us
    order = np.argsort(result.test_labels, kind="stable")
    times = result.test_times[order] * tau_us
    n_classes = times.shape[1]
    for k in range(n_classes):
        ax.scatter(np.arange(len(order)), times[:, k], s=2, color=CLASS_COLOURS[k], label=f"output {k}")
    bounds = np.flatnonzero(np.diff(result.test_labels[order])) + 0.5
    for b in bounds:
        ax.axvline(b, color="k", lw=0.5)
    ax.set_xlabel("test sample (sorted by label)")
    ax.set_ylabel("first spike (hardware us)")
    ax.legend(fontsize=7, markerscale=3, loc="upper right")


def classified_plane(ax, result) -> None:
    """Predicted class over the Yin-Yang plane with the test samples on top; wrong ones ringed."""
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(["white"] + list(CLASS_COLOURS[:3]))
    ax.imshow(result.plane + 1, origin="lower", extent=(0, 1, 0, 1), cmap=cmap, vmin=0, vmax=3, alpha=0.35,
              interpolation="nearest")
    x, y = result.test_features[:, 0], result.test_features[:, 1]
    predicted = predict(result.test_times)
    ax.scatter(x, y, s=6, c=[CLASS_COLOURS[k] for k in result.test_labels], linewidths=0)
    wrong = predicted != result.test_labels
    ax.scatter(x[wrong], y[wrong], s=30, facecolors="none", edgecolors="k", linewidths=0.8,
               label=f"misclassified ({int(wrong.sum())})")
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=7, loc="upper right")


def figures(result) -> dict:
    """``summary`` (all panels) and one figure per panel; the classified plane only for Yin-Yang."""
    plt = _pyplot()
    panels = {"training_curves": training_curves, "output_raster": output_raster}
    if result.plane is not None:
        panels["classified_plane"] = classified_plane
    out = {}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 4.5))
    for ax, draw in zip(axes, panels.values()):
        draw(ax, result)
    fig.suptitle(f"TTFS {result.config.dataset} on {result.backend} (chip {result.chip_id}): "
                 f"test accuracy {100 * result.test_accuracy:.1f} %")
    out["summary"] = fig
    for name, draw in panels.items():
        f, ax = plt.subplots(figsize=(6, 4.5))
        draw(ax, result)
        out[name] = f
    return out
