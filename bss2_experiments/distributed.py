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

from dask.distributed import Client, LocalCluster, progress

Mapper = Callable[..., list]


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler`` (``"tcp://host:8786"``) when given, else
    to a new local cluster of ``n_workers`` single-threaded worker processes (default:
    one per CPU core; each emulator run parallelises over trials by itself, so one
    thread per worker avoids oversubscription). Closed on exit."""
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
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
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
