"""The sweep's table (CSV + JSON) and its plot: headline metric against the parameter,
mean +- standard deviation over seeds with every seed's value as a dot."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .experiments import experiment_cli
from .grid import SweepSpec
from .store import SweepStore


def headline_metric(spec: SweepSpec, records: list[dict]) -> str | None:
    """The metric to plot: ``--metric``, else the experiment cli's ``HEADLINE_METRIC`` if it has
    one, else the first float value of the first summary (TTFS: ``test_accuracy``)."""
    if spec.metric:
        return spec.metric
    named = getattr(experiment_cli(spec.experiment), "HEADLINE_METRIC", None)
    if named:
        return named
    for record in records:
        for key, value in record.get("summary", {}).items():
            if isinstance(value, float):
                return key
    return None


def table(spec: SweepSpec, store: SweepStore) -> tuple[list[str], list[dict], str | None]:
    """(columns, rows, metric): one row per task that landed, in task order."""
    records = store.records()
    order = [t.key for t in spec.tasks()]
    rows_in = [records[k] for k in order if k in records]
    metric = headline_metric(spec, [r for r in rows_in if r["status"] == "ok"])
    fixed = ["key", *spec.params, "seed", "status", "attempts", "seconds", "error"]
    scalar_keys: list[str] = []  # summary values; a swept option's column keeps the swept value
    for r in rows_in:
        for k, v in r.get("summary", {}).items():
            if k not in scalar_keys and k not in fixed and _is_scalar(v):
                scalar_keys.append(k)
    columns = ["key", *spec.params, "seed", "status", "attempts", "seconds", *scalar_keys, "error"]
    rows = []
    for r in rows_in:
        summary = r.get("summary", {})
        rows.append({"key": r["key"], **r["params"], "seed": r["seed"], "status": r["status"],
                     "attempts": r.get("attempts"), "seconds": r.get("seconds"),
                     **{k: summary.get(k) for k in scalar_keys}, "error": r.get("error")})
    return columns, rows, metric


def aggregate(spec: SweepSpec, rows: list[dict], metric: str) -> list[dict]:
    """Per combination of swept values: number of finished seeds, mean, std, min, max of ``metric``."""
    groups: dict[tuple, list[float]] = {}
    for row in rows:
        combo = tuple(row[p] for p in spec.params)
        groups.setdefault(combo, [])
        if row["status"] == "ok" and isinstance(row.get(metric), (int, float)):
            groups[combo].append(float(row[metric]))
    out = []
    for combo, values in groups.items():
        v = np.asarray(values)
        out.append({**dict(zip(spec.params, combo)), "n": int(v.size),
                    **({"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                        "min": float(v.min()), "max": float(v.max())} if v.size else {})})
    return out


def write_report(store: SweepStore) -> dict[str, Path]:
    """Write results.csv, results.json and sweep.png; returns their paths."""
    spec = store.load_spec()
    columns, rows, metric = table(spec, store)
    paths = {"csv": store.folder / "results.csv", "json": store.folder / "results.json"}
    with paths["csv"].open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    document = {"experiment": spec.experiment, "params": spec.params, "seeds": spec.seeds, "metric": metric,
                "rows": rows, "aggregate": aggregate(spec, rows, metric) if metric else []}
    paths["json"].write_text(json.dumps(document, indent=2, default=str) + "\n")
    if metric and any(r["status"] == "ok" for r in rows):
        paths["png"] = store.folder / "sweep.png"
        plot(spec, rows, metric, paths["png"])
    return paths


def plot(spec: SweepSpec, rows: list[dict], metric: str, path: Path) -> None:
    """``metric`` against the first swept parameter (one line per value of the others): mean
    +- std over seeds, every seed as a dot; a seeds-only sweep shows each seed, the mean and
    +- std."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(spec.params)
    ok = [r for r in rows if r["status"] == "ok" and isinstance(r.get(metric), (int, float))]
    fig, ax = plt.subplots(figsize=(6, 4))
    if not names:
        _plot_seeds(ax, spec, ok, metric)
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        return
    x_name, others = names[0], names[1:]
    labels = list(dict.fromkeys(str(r[x_name]) for r in rows))
    numeric = all(_is_number(v) for v in labels)
    position = {v: (float(v) if numeric else i) for i, v in enumerate(labels)}
    for combo in dict.fromkeys(tuple(r[o] for o in others) for r in ok):
        group = [r for r in ok if tuple(r[o] for o in others) == combo]
        xs = [v for v in labels if any(str(r[x_name]) == v for r in group)]
        values = [[float(r[metric]) for r in group if str(r[x_name]) == v] for v in xs]
        px = np.array([position[v] for v in xs])
        label = ", ".join(f"{o}={c}" for o, c in zip(others, combo)) or None
        line = ax.errorbar(px, [np.mean(v) for v in values], yerr=[np.std(v, ddof=1) if len(v) > 1 else 0.0
                                                                    for v in values],
                           marker="o", capsize=4, label=label)
        for x, v in zip(px, values):
            ax.plot(np.full(len(v), x), v, ".", color=line[0].get_color(), alpha=0.5)
    if not numeric:
        ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(x_name)
    ax.set_ylabel(metric)
    seeds = f", {spec.seeds} seeds (mean +- std, dots: single seeds)" if spec.seeds else ""
    ax.set_title(f"{spec.experiment}: {metric} vs {x_name}{seeds}", fontsize=9)
    if others:
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _plot_seeds(ax, spec: SweepSpec, ok: list[dict], metric: str) -> None:
    """A seeds-only sweep: every seed, the mean and the +- std band."""
    values = np.array([float(r[metric]) for r in ok])
    ax.plot([r["seed"] for r in ok], values, "o", label="single seeds")
    ax.axhline(values.mean(), color="k", label=f"mean {values.mean():.4g}")
    if values.size > 1:
        std = values.std(ddof=1)
        ax.axhspan(values.mean() - std, values.mean() + std, color="k", alpha=0.1, label=f"+- std {std:.2g}")
    ax.set_xlabel("seed")
    ax.set_ylabel(metric)
    ax.set_title(f"{spec.experiment}: {metric} over {len(ok)} seeds", fontsize=9)
    ax.legend(fontsize=8)


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
