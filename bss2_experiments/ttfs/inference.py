"""Inference of a trained TTFS network on several substrates, side by side.

The same PyNN network (:class:`.chip.ChipForward`) runs the saved weights on the
requested backend (e.g. NEST with ``IF_curr_exp``), on the emulated chip, and the
analytic model evaluates them on the host.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .chip import ChipForward
from .experiment import encoding_for, load_data, load_network
from .network import Network
from .training import accuracy


def stored_network(weights: str | Path) -> tuple[Network, str, bool, float]:
    """The network of a ``bss2 run ttfs`` result (its ``ttfs.npz``, next to ``ttfs.json``):
    ``(network, dataset, software, weight_scale)``. A software-trained network has no chip
    scale: it is quantised to 6 bit over its own weight range."""
    path = Path(weights)
    document = path.with_suffix(".json")
    if not document.is_file():
        raise FileNotFoundError(f"{document} is missing: --weights needs the ttfs.npz of a 'bss2 run ttfs' result "
                                f"folder, next to its ttfs.json")
    summary = json.loads(document.read_text())["summary"]
    network = load_network(path)
    with np.load(path) as f:
        scale = float(f["weight_scale"])
    if np.isnan(scale):
        scale = 63.0 / max(float(np.abs(w).max()) for w in network.weights)
    return network, summary["dataset"], bool(summary["software"]), scale


def compare(weights: str | Path, backend: str, chip_id: int = 0, seed: int = 0, out: str | Path = "runs"
            ) -> tuple[dict, Path]:
    """Test accuracy of the saved network per substrate; saves JSON + NPZ, returns
    ``(summary, folder)``."""
    from ..results import Provenance, run_folder, save_result
    path = Path(weights)
    network, dataset, software, scale = stored_network(path)
    x, labels = load_data(dataset)["test"]
    t_in = encoding_for(dataset, software)(x)
    requested = f"emulator chip {chip_id}" if backend == "emulator" else backend
    substrates = {"analytic model (host)": network.forward,
                  requested: ChipForward(network, backend, chip_id=chip_id, seed=seed, weight_scale=scale)}
    if backend != "emulator" and not software:
        substrates[f"emulator chip {chip_id}"] = ChipForward(network, "emulator", chip_id=chip_id, seed=seed,
                                                             weight_scale=scale)
    accuracies, seconds, arrays = {}, {}, {"test_labels": labels}
    for name, forward in substrates.items():
        start = time.perf_counter()
        times = forward(t_in)[-1]
        seconds[name] = time.perf_counter() - start
        accuracies[name] = accuracy(times, labels)
        arrays["test_times_tau_" + name.replace(" ", "_").replace("(", "").replace(")", "")] = times
    result = {"experiment": "ttfs-inference", "weights": str(path), "dataset": dataset, "backend": backend,
              "chip_id": chip_id, "accuracies": accuracies, "inference_seconds": seconds,
              "test_accuracy": accuracies[requested],
              "weight_scale": scale}
    folder = run_folder(out, "ttfs-inference")
    save_result(folder, "ttfs_inference", Provenance(backend=backend, chip_id=chip_id, seed=seed), result, arrays)
    return result, folder
