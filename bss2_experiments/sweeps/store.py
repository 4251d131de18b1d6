"""A sweep's folder, written as results arrive so that an interrupted sweep resumes.

```
DIR/sweep.json           the spec (experiment, swept values, seeds, fixed options, metric)
DIR/tasks/<key>.json     one record per finished or failed task, written when it lands
DIR/runs/<key>/...       the experiment's own results (JSON + NPZ + PNG with provenance)
DIR/results.csv|json     the table; DIR/sweep.png the headline metric against the parameter
```
A record is written to a temporary file and renamed, so a killed sweep never leaves half a
record; resuming skips every task whose record says ``ok``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .experiments import ExperimentError
from .grid import SweepSpec, Task


class SweepStore:
    """The folder of one sweep."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.tasks_dir = self.folder / "tasks"
        self.runs_dir = self.folder / "runs"

    @property
    def spec_path(self) -> Path:
        return self.folder / "sweep.json"

    def create(self, spec: SweepSpec) -> None:
        """Start a new sweep in an empty (or new) folder."""
        if self.spec_path.exists():
            raise ExperimentError(f"{self.folder} already holds a sweep: resume it with --resume {self.folder} "
                                  "or choose another --out")
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.spec_path, spec.to_dict())

    def load_spec(self) -> SweepSpec:
        if not self.spec_path.is_file():
            raise ExperimentError(f"{self.folder} holds no sweep (no sweep.json): check the --resume folder")
        return SweepSpec.from_dict(json.loads(self.spec_path.read_text()))

    def run_dir(self, task: Task) -> Path:
        return self.runs_dir / task.key

    def save(self, task: Task, record: dict) -> None:
        """Write the record of ``task`` (``status`` "ok" with ``summary``, or "failed" with ``error``)."""
        _write_json(self.tasks_dir / f"{task.key}.json",
                    {"key": task.key, "params": task.params, "seed": task.seed, "argv": task.argv, **record})

    def records(self) -> dict[str, dict]:
        """key -> record of every task that landed (finished or failed)."""
        out = {}
        for path in sorted(self.tasks_dir.glob("*.json")):
            record = json.loads(path.read_text())
            out[record["key"]] = record
        return out

    def finished(self) -> set[str]:
        return {key for key, r in self.records().items() if r.get("status") == "ok"}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)
