"""Saving what a run measured: JSON (metadata + scalars), NPZ (arrays), PNG (figure).

Every result carries its provenance (backend, chip id, calibration id, seed, suite version,
git commit, UTC time) so nothing measured is separated from how it was measured, and, when
the emulator ran, an ``energy`` block: the emulator energy model's energy and hardware time
per inference of the runs behind the result (:class:`bss2_experiments.energy_model.ChipActivity`).
"""
from __future__ import annotations

import datetime as _dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__


@dataclass
class Provenance:
    """Where a result came from."""

    backend: str
    chip_id: str | int | None = None
    calibration_id: str | None = None
    seed: int | None = None
    suite_version: str = __version__
    git_commit: str | None = field(default_factory=lambda: _git_commit())
    created_utc: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def run_folder(base: str | Path, experiment: str) -> Path:
    """A new, time-stamped folder ``base/experiment/YYYYmmdd-HHMMSS[-n]``."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(base) / experiment / stamp
    n = 1
    while folder.exists():
        folder = Path(base) / experiment / f"{stamp}-{n}"
        n += 1
    folder.mkdir(parents=True)
    return folder


def save_result(folder: str | Path, name: str, provenance: Provenance, summary: dict,
                arrays: dict[str, np.ndarray], figure=None, *, energy: dict | str | None = "auto") -> dict[str, Path]:
    """Write ``name.json`` (provenance + summary [+ energy]), ``name.npz`` (arrays) and,
    given a matplotlib figure, ``name.png``. Returns the paths written.

    ``energy``: ``"auto"`` (default) stores the emulator energy model's account of the
    emulator runs made since the previous ``save_result`` (modelled energy and hardware
    time per inference, events; :class:`bss2_experiments.energy_model.ChipActivity`) as
    the document's ``energy`` block when there were any, then starts a new tally; a dict
    is stored as given; ``None`` stores none (the tally is kept)."""
    from .energy_model import CHIP_ACTIVITY
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / f"{name}.json", "npz": folder / f"{name}.npz"}
    np.savez_compressed(paths["npz"], **arrays)
    document = {"provenance": provenance.__dict__, "summary": summary, "arrays": sorted(arrays)}
    if isinstance(energy, str):
        if energy != "auto":
            raise ValueError(f"energy={energy!r}: pass 'auto', a dict or None")
        energy = CHIP_ACTIVITY.summary()
        CHIP_ACTIVITY.reset()
    if energy is not None:
        document["energy"] = energy
    paths["json"].write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")
    if figure is not None:
        paths["png"] = folder / f"{name}.png"
        figure.savefig(paths["png"], dpi=120, bbox_inches="tight")
    return paths


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a result's JSON")
