"""The trained TTFS classifier as an inference workload for ``bss2 energy --experiment ttfs``.

Inference ``i`` classifies test sample ``i mod n_test`` of the network's data set
(Yin-Yang: 1000 samples) on the emulator through the PyNN backend
(:class:`.chip.ChipForward`), so the energy and latency of issue 10 are measured on the
real classification workload of issue 5 (Goeltz et al., Nat. Mach. Intell. 3:823 (2021)),
with the accuracy next to them.

The network comes from ``weights`` (the ``ttfs.npz`` of a ``bss2 run ttfs`` result; the
hardware weights it was trained with), or, without it, from a short analytic training of
the hardware network (``pretrain_epochs``, the first phase of ``bss2 run ttfs``; no
in-the-loop epochs, so a few points below a full run).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..energy_model import DEFAULT_MODEL, EnergyModel, inference_energy
from ..energy_workloads import InferenceBatch, register_workload
from ..pynn.scaling import ms_to_us
from .chip import ChipForward
from .experiment import TTFSConfig, encoding_for, load_data, make_network, pretrain
from .inference import stored_network
from .loss import predict

DEFAULT_PRETRAIN_EPOCHS = 60
"""Analytic epochs when no weights are given (~10 s on one core; ~90 % on chip 0)."""


@register_workload("ttfs")
class TTFSWorkload:
    """Inferences of a trained TTFS network on an emulated chip (see the module doc)."""

    name = "ttfs"

    def __init__(self, chip, seed: int = 0, model: EnergyModel = DEFAULT_MODEL, weights: str | Path | None = None,
                 pretrain_epochs: int = DEFAULT_PRETRAIN_EPOCHS, progress: bool = False):
        self.chip, self.seed, self.model = chip, int(seed), model
        rng = np.random.default_rng(self.seed)
        if weights is not None:
            network, dataset, software, scale = stored_network(weights)
        else:
            if pretrain_epochs < 1:
                raise ValueError("the ttfs workload needs weights=FILE or pretrain_epochs >= 1")
            config = TTFSConfig(seed=self.seed, pretrain_epochs=pretrain_epochs)
            dataset, software, scale = config.dataset, False, None
            network, _ = make_network(config, load_data(dataset)["train"][0].shape[1], rng)
        encoding = encoding_for(dataset, software)
        data = {k: (encoding(x), y) for k, (x, y) in load_data(dataset).items()}
        self.forward = ChipForward(network, "emulator", chip=chip, seed=self.seed, weight_scale=scale)
        network.weight_limit = self.forward.weight_limit
        network.clip()
        if weights is None:
            pretrain(network, config, data, rng, progress)
        self.t_in, self.labels = data["test"]
        setup = self.forward.setup
        self.hardware_time_per_inference_s = float(ms_to_us(setup.trial_tau * setup.tau_us)) * 1e-6
        self.info = {"network": f"{network.sizes[0]} inputs + {len(network.bias_times[0])} bias -> "
                                f"{' -> '.join(map(str, network.sizes[1:]))}", "dataset": dataset,
                     "weights": str(weights) if weights is not None else
                     f"analytic training, {pretrain_epochs} epochs, seed {self.seed}",
                     "weight_scale": self.forward.weight_scale, "test_samples": int(len(self.labels))}

    def run(self, n_inferences: int, start: int = 0) -> InferenceBatch:
        """Classify test samples ``start .. start + n_inferences - 1`` (modulo the test set)."""
        index = (start + np.arange(n_inferences)) % len(self.labels)
        t_out = self.forward(self.t_in[index])[-1]
        batch = self.forward.last_batch
        stimulus = batch.stimulus
        first_in_us = np.full(n_inferences, np.inf)
        np.minimum.at(first_in_us, stimulus.trial, stimulus.time_us)
        first_out_us = ms_to_us(batch.first_spike_times(self.forward.layers[-1]).min(axis=1))
        latency_s = np.where(np.isfinite(first_out_us), (first_out_us - first_in_us) * 1e-6, np.nan)
        return InferenceBatch(start, inference_energy(batch.run, batch.config, stimulus, self.model), latency_s,
                              predict(t_out) == self.labels[index])
