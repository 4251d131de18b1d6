"""Classroom demos for Lu.i boards, run through the probe protocol against real boards or the
simulated probe. Each demo module has ``TITLE``, ``network()`` (what the simulator builds and
what students wire) and ``run(link, folder) -> dict`` (plays stimuli, saves a plot)."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import ModuleType

from .session import open_link, run_folder, save_summary

DEMOS = {"single-neuron": "single_neuron", "synfire-chain": "synfire_chain", "jeffress": "jeffress",
         "ring-attractor": "ring_attractor"}


def demo_module(name: str) -> ModuleType:
    """The module of demo ``name`` (one of :data:`DEMOS`)."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    return import_module(f"{__name__}.{DEMOS[name]}")


def run_demo(name: str, port: str | None = None, out: str | Path | None = None,
             speed: float = 4.0) -> tuple[Path, dict]:
    """Run demo ``name`` on the probe at ``port`` (default: simulated); return the run folder
    and the measured summary (also saved there as ``summary.json`` next to the plot)."""
    module = demo_module(name)
    folder = run_folder(out, name)
    network = module.network()
    with open_link(network, port, speed) as link:
        summary = module.run(link, folder)
    summary = {"demo": name, "probe": "simulated" if port is None else port, **summary}
    save_summary(folder, summary)
    return folder, summary
