"""Spreading independent evaluations over Dask workers (``dask.distributed``).

Sweeps (seeds, parameter scans) and evolutionary searches (DEAP offspring, CMA-ES
candidates) evaluate many independent runs. :func:`dask_client` opens a local cluster
of worker processes by default, or connects to any scheduler address; :func:`mapper`
turns a client into a ``map(function, *iterables) -> list`` that DEAP's
``toolbox.register("map", ...)`` and the suite's sweeps take. Results come back in
input order; a failing evaluation raises on the host with the worker's traceback.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import dask
from dask.distributed import Client, LocalCluster, progress

Mapper = Callable[..., list]

WORKER_SATURATION = 1.0
"""Tasks a local scheduler hands a worker per thread at once. Dask's default (1.1) rounds up
to 2 per single-threaded worker, so with long tasks one worker can hold two while another
idles; 1.0 gives each worker a new task only when it is free."""

THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Thread-pool sizes handed to local workers (numba's parallel emulator loops, BLAS)."""


def worker_threads_env(n_workers: int, cores: int | None = None) -> dict[str, str]:
    """Environment of each local worker process: its share of the cores for numba and BLAS
    (``cores // n_workers``, at least 1), so that workers do not oversubscribe the machine.
    Variables already set in this process's environment are passed on unchanged."""
    share = max(1, (cores or os.cpu_count() or 1) // n_workers)
    return {name: os.environ.get(name, str(share)) for name in THREAD_VARIABLES}


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler`` (``"tcp://host:8786"``) when given, else
    to a new local cluster of ``n_workers`` single-threaded worker processes (default:
    one per CPU core). Each worker runs one task at a time and gets its share of the cores
    for numba/BLAS threads (:func:`worker_threads_env`): the emulator parallelises over
    trials by itself, so 1 worker uses all cores and 2 workers use half each. Closed on exit."""
    if scheduler is not None:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"n_workers = {n_workers}: a local cluster needs at least one worker")
    with dask.config.set({"distributed.scheduler.worker-saturation": WORKER_SATURATION}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         env=worker_threads_env(workers)) as cluster, Client(cluster) as client:
        yield client


def mapper(client: Client | None, show_progress: bool = False) -> Mapper:
    """``map(function, *iterables) -> list`` on ``client``'s workers, or the builtin map
    (in this process) when ``client`` is None. Every call is evaluated afresh
    (``pure=False``): evaluations draw temporal noise, so equal arguments are not equal
    results."""
    if client is None:
        return lambda function, *iterables: list(map(function, *iterables))

    def distributed_map(function: Callable, *iterables: Iterable[Any]) -> list:
        futures = client.map(function, *iterables, pure=False)
        if show_progress:
            progress(futures)
        return client.gather(futures)

    return distributed_map
