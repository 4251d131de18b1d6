"""Running a sweep's tasks on Dask workers, keeping each result the moment it lands.

Every pending task is one Dask future (``pure=False``: runs draw noise). A task that
raises is submitted once more; if the retry fails too, its record says ``failed`` with the
error and the sweep goes on. Finished tasks of an earlier, interrupted run of the same
folder are skipped.
"""
from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass

from dask.distributed import Client, as_completed
from tqdm import tqdm

from .experiments import run_experiment
from .grid import SweepSpec, Task
from .store import SweepStore

MAX_ATTEMPTS = 2
"""A failing task runs at most this often (once, then one retry)."""


@dataclass
class SweepOutcome:
    """What one call of :func:`run_sweep` did."""

    ran: int
    skipped: int
    failed: list[str]
    seconds: float


def run_task(experiment: str, argv: list[str], out: str) -> dict:
    """Worker side: run the experiment, return its summary with wall time (s), start and end
    (Unix s) and worker."""
    start, t0 = time.time(), time.perf_counter()
    summary = run_experiment(experiment, argv, out)
    return {"summary": summary, "seconds": time.perf_counter() - t0, "start_unix": start, "end_unix": time.time(),
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def run_sweep(store: SweepStore, client: Client, progress: bool = True) -> SweepOutcome:
    """Run every task of the sweep in ``store`` that has not finished, on ``client``."""
    spec: SweepSpec = store.load_spec()
    tasks = spec.tasks()
    done = store.finished()
    pending = {t.key: t for t in tasks if t.key not in done}
    start = time.perf_counter()
    attempts = {key: 1 for key in pending}
    futures = {}

    def submit(task: Task):
        future = client.submit(run_task, spec.experiment, task.argv, str(store.run_dir(task)), pure=False,
                               key=f"{task.key}-attempt{attempts[task.key]}-{time.time_ns()}")
        futures[future.key] = task
        return future

    queue = as_completed([submit(t) for t in pending.values()])
    failed = []
    with tqdm(total=len(tasks), initial=len(tasks) - len(pending), desc=f"sweep {spec.experiment}",
              unit="run", disable=not progress) as bar:
        for future in queue:
            task = futures.pop(future.key)
            if future.status == "finished":
                store.save(task, {"status": "ok", "attempts": attempts[task.key], **future.result()})
                bar.update()
                continue
            error = future.exception()
            if attempts[task.key] < MAX_ATTEMPTS:
                attempts[task.key] += 1
                bar.write(f"task {task.key} failed ({type(error).__name__}: {error}); retrying once")
                queue.add(submit(task))
                continue
            tb = "".join(traceback.format_tb(future.traceback())) if future.traceback() else ""
            store.save(task, {"status": "failed", "attempts": attempts[task.key],
                              "error": f"{type(error).__name__}: {error}", "traceback": tb})
            failed.append(task.key)
            bar.write(f"task {task.key} failed twice, giving up: {type(error).__name__}: {error}")
            bar.update()
    return SweepOutcome(len(pending), len(tasks) - len(pending), failed, time.perf_counter() - start)
