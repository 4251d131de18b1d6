"""The TTFS experiment: train a first-spike classifier with the chip in the loop and test it.

Goeltz et al., "Fast and energy-efficient neuromorphic deep learning with first-spike
times", Nat. Mach. Intell. 3:823 (2021), on the Yin-Yang data set (Kriener et al., NICE
2022) or scikit-learn's 8x8 digits. ``run(config, backend)`` returns a
:class:`TTFSResult`; :meth:`TTFSResult.save` writes JSON + NPZ + PNGs with provenance.

Chip mode (default): a short software pre-training of the hardware network with the
analytic model (``pretrain_epochs``, optional), then ``epochs`` of training with the
forward pass on the backend and the exact backward pass on the host, evaluated on the
backend. Software mode (``software=True``): the paper's software network, analytic
forward, no chip.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import datasets
from .chip import ChipForward, HardwareSetup
from .encoding import Encoding
from .loss import predict
from .network import Network
from .training import History, TrainConfig, accuracy, train


@dataclass(frozen=True)
class Layout:
    """Network shape, bias spikes, initial weights (model units) and input copies."""

    hidden: int
    bias_times: tuple[tuple[float, ...], ...]
    weight_means: tuple[float, float]
    weight_stds: tuple[float, float]
    repeat: int = 1


LAYOUTS = {
    # Goeltz et al. 2021 software Yin-Yang: 4 (+ bias at 0.9 tau_s) -> 120 (+ bias) -> 3
    ("yin_yang", "software"): Layout(120, ((0.9,), (0.9,)), (1.5, 0.5), (0.8, 0.8)),
    # on BrainScaleS-2: every input and the bias x5, no bias in the output layer; initial
    # weights scaled so that 25 inputs carry the same total drive as the software 5
    ("yin_yang", "chip"): Layout(120, ((0.9,) * 5, ()), (0.3, 0.15), (0.16, 0.3), repeat=5),
    # 8x8 digits after Goeltz et al.'s 16x16 MNIST setting (no biases), fewer and larger pixels
    ("digits", "software"): Layout(100, ((), ()), (0.2, 0.6), (0.5, 0.8)),
    ("digits", "chip"): Layout(100, ((0.9,) * 5, ()), (0.2, 0.15), (0.2, 0.3)),
}
SOFTWARE_TRAINING = {
    "yin_yang": TrainConfig(),
    # Goeltz et al.'s 16x16 MNIST: batch 50, lr 0.003 x0.9 every 10 epochs, 50 % silent
    # tolerated, input jitter 0.3 tau_s
    "digits": TrainConfig(batch_size=50, learning_rate=0.003, lr_gamma=0.9, lr_step_epochs=10, max_missing=(0.5, 0.5),
                          input_noise_std=0.3),
}
ENCODINGS = {"yin_yang": Encoding(0.15, 2.0), "digits": Encoding(0.15, 2.0, late_is_silent=True)}
N_CLASSES = {"yin_yang": 3, "digits": 10}


@dataclass
class TTFSConfig:
    dataset: str = "yin_yang"
    """``yin_yang`` (Kriener et al. 2022 splits) or ``digits`` (scikit-learn 8x8)."""
    software: bool = False
    """Analytic forward pass instead of the backend (no chip)."""
    epochs: int = 60
    """Training epochs with the forward pass on the backend (software mode: analytic)."""
    pretrain_epochs: int = 300
    """Chip mode only: analytic epochs of the hardware network before going in the loop."""
    seed: int = 0
    chip_id: int = 0
    ideal: bool = False
    """Emulator without fixed-pattern and temporal noise."""
    calibrated: bool = True
    """False: run the chip with design DAC values (its fixed-pattern noise shows)."""
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        batch_size=150, learning_rate=0.001, lr_gamma=0.8, lr_step_epochs=10, max_missing=(0.3, 0.05)))
    """In-the-loop settings: fine-tuning after pre-training, so a smaller, decaying learning
    rate than Goeltz et al.'s from-scratch hardware run (batch 40, lr 0.002); 5 % silent
    outputs tolerated as on their hardware."""
    pretrain: TrainConfig | None = None
    """Settings of the software pre-training; ``None``: the dataset's software settings."""
    hardware: HardwareSetup = field(default_factory=HardwareSetup)
    plane_resolution: int = 60
    """Grid points per axis of the classified Yin-Yang plane figure."""

    @classmethod
    def software_default(cls, **changes) -> "TTFSConfig":
        """The paper's software setting (Yin-Yang: 300 epochs, batch 150, lr 0.005 x0.95 / 20 epochs)."""
        dataset = changes.get("dataset", "yin_yang")
        return cls(**{"software": True, "epochs": 300, "pretrain_epochs": 0, "train": SOFTWARE_TRAINING[dataset],
                      **changes})


@dataclass
class TTFSResult:
    config: TTFSConfig
    backend: str
    chip_id: str | None
    network: Network
    weight_scale: float | None
    pretrain_history: History | None
    history: History
    test_accuracy: float
    test_times: np.ndarray
    """Output first-spike times of the test set (tau_s; inf = silent), (n_test, n_classes)."""
    test_labels: np.ndarray
    test_features: np.ndarray
    train_seconds: float
    inference_seconds: float
    """Wall time of the forward pass over the whole test set (one batch)."""
    plane: np.ndarray | None = None
    """Predicted class on a regular grid of the Yin-Yang plane (-1 = no output spike)."""
    test_energy: dict | None = None
    """The emulator energy model's account of the test-set inference
    (:meth:`bss2_experiments.energy_model.InferenceEnergy.summary`: J, s per inference)."""

    def summary(self) -> dict:
        """Scalars for the JSON document and ``--json``."""
        return {
            "experiment": "ttfs", "dataset": self.config.dataset, "backend": self.backend,
            "software": self.config.software, "chip_id": self.chip_id,
            "test_accuracy": self.test_accuracy, "train_seconds": self.train_seconds,
            "inference_seconds": self.inference_seconds, "n_test": int(len(self.test_labels)),
            "epochs": self.config.epochs, "pretrain_epochs": 0 if self.config.software else self.config.pretrain_epochs,
            "best_validation_accuracy": max(self.history.validation_accuracy, default=None),
            "best_epoch": self.history.best_epoch,
            "weight_scale": self.weight_scale, "tau_s_us": self.config.hardware.tau_us,
            **{f"test_{k}": v for k, v in (self.test_energy or {}).items()},
            "config": asdict(self.config),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Arrays for the NPZ file; ``weights_<l>`` / ``bias_times_<l>`` reload with
        :func:`load_network`."""
        out = {"test_times_tau": self.test_times, "test_labels": self.test_labels,
               "test_features": self.test_features, "test_predictions": predict(self.test_times),
               "train_accuracy": np.asarray(self.history.train_accuracy),
               "train_loss": np.asarray(self.history.train_loss),
               "validation_accuracy": np.asarray(self.history.validation_accuracy),
               "weight_scale": np.asarray(np.nan if self.weight_scale is None else self.weight_scale)}
        for l, w in enumerate(self.network.weights):
            out[f"weights_{l}"] = w
            out[f"bias_times_{l}"] = np.asarray(self.network.bias_times[l])
        if self.pretrain_history is not None:
            out["pretrain_validation_accuracy"] = np.asarray(self.pretrain_history.validation_accuracy)
        if self.plane is not None:
            out["plane_predictions"] = self.plane
        return out

    def save(self, out: str | Path, provenance) -> Path:
        """JSON + NPZ + PNGs (summary, training curves, output raster, classified plane)
        in a new run folder under ``out``; returns the folder."""
        from ..results import run_folder, save_result
        from . import plots
        folder = run_folder(out, "ttfs")
        figures = plots.figures(self)
        save_result(folder, "ttfs", provenance, self.summary(), self.arrays(), figures.pop("summary"))
        for name, fig in figures.items():
            fig.savefig(folder / f"{name}.png", dpi=120, bbox_inches="tight")
        return folder


def load_data(dataset: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Features and labels of every split of ``dataset`` (checked)."""
    if dataset == "yin_yang":
        splits = datasets.yin_yang_splits()
    elif dataset == "digits":
        splits = datasets.digits()
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose 'yin_yang' or 'digits'")
    n_features = splits["train"][0].shape[1]
    return {k: datasets.check_classification_data(x, y, n_features, N_CLASSES[dataset]) for k, (x, y) in splits.items()}


def encoding_for(dataset: str, software: bool) -> Encoding:
    """The input encoding of ``dataset`` with the copies its layout needs."""
    layout = LAYOUTS[(dataset, "software" if software else "chip")]
    return replace(ENCODINGS[dataset], repeat=layout.repeat)


def make_network(config: TTFSConfig, n_features: int, rng: np.random.Generator) -> tuple[Network, Encoding]:
    """Freshly initialised network and the input encoding for ``config``."""
    layout = LAYOUTS[(config.dataset, "software" if config.software else "chip")]
    sizes = (n_features * layout.repeat, layout.hidden, N_CLASSES[config.dataset])
    network = Network.random(sizes, list(layout.bias_times), layout.weight_means, layout.weight_stds, rng)
    return network, encoding_for(config.dataset, config.software)


def load_network(path: str | Path) -> Network:
    """A trained network from a result NPZ (``weights_<l>``, ``bias_times_<l>``)."""
    with np.load(path) as f:
        n = sum(1 for k in f.files if k.startswith("weights_"))
        if n == 0:
            raise ValueError(f"{path} holds no weights_<l> arrays; pass the .npz of a 'bss2 run ttfs' result")
        return Network([f[f"weights_{l}"] for l in range(n)], [tuple(f[f"bias_times_{l}"]) for l in range(n)])


def run(config: TTFSConfig, backend: str = "emulator", progress: bool = True) -> TTFSResult:
    """Train and test as ``config`` says; ``backend`` runs the forward pass in chip mode."""
    from tqdm.auto import tqdm
    rng = np.random.default_rng(config.seed)
    data = load_data(config.dataset)
    network, encoding = make_network(config, data["train"][0].shape[1], rng)
    t = {k: (encoding(x), y) for k, (x, y) in data.items()}
    forward, chip_id, scale, pre_history = network.forward, None, None, None
    start = time.perf_counter()
    if not config.software:
        chip = ChipForward(network, backend, chip_id=config.chip_id, seed=config.seed, setup=config.hardware,
                           ideal=config.ideal, calibration="auto" if config.calibrated else None)
        network.weight_limit = chip.weight_limit
        network.clip()
        forward, chip_id, scale = chip, _chip_identity(chip, config), chip.weight_scale
        if config.pretrain_epochs:
            pre_history = pretrain(network, config, t, rng, progress)
    desc = "ttfs train (software)" if config.software else f"ttfs train ({backend} in the loop)"
    with tqdm(total=config.epochs * _batches(t, config.train), desc=desc, disable=not progress, unit="batch") as bar:
        history = train(network, *t["train"], replace(config.train, epochs=config.epochs), rng, forward=forward,
                        validation=t["validation"], progress=bar)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    test_times = forward(t["test"][0])[-1]
    inference_seconds = time.perf_counter() - start
    test_energy = _test_energy(forward)
    plane = classify_plane(forward, encoding, config.plane_resolution) if config.dataset == "yin_yang" else None
    return TTFSResult(config, "software" if config.software else backend, chip_id, network, scale, pre_history,
                      history, accuracy(test_times, t["test"][1]), test_times, t["test"][1], data["test"][0],
                      train_seconds, inference_seconds, plane, test_energy)


def pretrain(network: Network, config: TTFSConfig, t: dict, rng: np.random.Generator, progress: bool = True
             ) -> History:
    """``config.pretrain_epochs`` of analytic training of the (clipped) hardware network on
    the encoded splits ``t`` (``{"train": (t_in, y), "validation": ...}``), with a progress bar."""
    from tqdm.auto import tqdm
    settings = replace(config.pretrain or SOFTWARE_TRAINING[config.dataset], epochs=config.pretrain_epochs)
    with tqdm(total=settings.epochs * _batches(t, settings), desc="ttfs pretrain (software)",
              disable=not progress, unit="batch") as bar:
        return train(network, *t["train"], settings, rng, validation=t["validation"], progress=bar)


def classify_plane(forward, encoding: Encoding, resolution: int) -> np.ndarray:
    """Predicted class on a ``resolution`` x ``resolution`` grid over [0, 1]^2 (rows: y)."""
    g = (np.arange(resolution) + 0.5) / resolution
    xx, yy = np.meshgrid(g, g)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return predict(forward(encoding(np.hstack([points, 1.0 - points])))[-1]).reshape(resolution, resolution)


def _test_energy(forward) -> dict | None:
    """Modelled energy and hardware time per inference of the last forward pass, when it
    ran on the emulator (None for the analytic model and the peers)."""
    batch = getattr(forward, "last_batch", None)
    return batch.energy().summary() if hasattr(batch, "energy") else None


def _chip_identity(chip: ChipForward, config: TTFSConfig) -> str:
    return getattr(chip.last_batch, "chip_identity", None) or f"{chip.backend}:{config.chip_id}"


def _batches(t: dict, cfg: TrainConfig) -> int:
    return -(-len(t["train"][1]) // cfg.batch_size)
