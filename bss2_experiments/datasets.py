"""Classification data sets for the spiking experiments, as plain numpy arrays.

* :func:`yin_yang`: the Yin-Yang data set of Kriener, Goeltz and Petrovici, "The Yin-Yang
  dataset", NICE 2022 (doi 10.1145/3517343.3517380), with its published splits
  (:func:`yin_yang_splits`).
* :func:`digits`: scikit-learn's bundled 8x8 handwritten digits (offline; a small stand-in
  for MNIST in tests).
* :func:`mnist`: MNIST from local IDX files (no downloads), preprocessed as in Goeltz et
  al., Nat. Mach. Intell. 3:823 (2021): 24x24 centre crop, 16x16 resize, inverted.

Every loader returns ``(x, y)``: features in [0, 1] (float64, one row per sample) and
integer labels 0..n_classes-1. Features are *values*, not times; the TTFS encoding lives
in :mod:`bss2_experiments.ttfs.encoding`.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

YIN_YANG_R_SMALL = 0.1
YIN_YANG_R_BIG = 0.5
YIN_YANG_SPLITS = {"train": (5000, 42), "validation": (1000, 41), "test": (1000, 40)}
"""Kriener et al. 2022's splits: name -> (size, seed). The seeds must differ per split."""
YIN_YANG_CLASSES = 3


class DatasetError(ValueError):
    """A data set cannot be loaded or was asked for with bad arguments."""


def yin_yang_class(x: np.ndarray, y: np.ndarray, r_small: float = YIN_YANG_R_SMALL,
                   r_big: float = YIN_YANG_R_BIG) -> np.ndarray:
    """The class of points ``(x, y)`` of the Yin-Yang plane (Kriener et al. 2022).

    The symbol is a circle of radius ``r_big`` centred at ``(r_big, r_big)``. With
    ``d_right`` / ``d_left`` the distances to the centres of the two small "eyes",
    ``(1.5 r_big, r_big)`` and ``(0.5 r_big, r_big)``:

    * label 2 ("dots"): ``d_right < r_small`` or ``d_left < r_small``;
    * label 1: ``d_right <= r_small``, or ``r_small < d_left <= 0.5 r_big``, or
      (``y > r_big`` and ``d_right > 0.5 r_big``) -- the upper half plus the left
      bulge, minus the right bulge;
    * label 0: everything else inside the big circle.

    (The original code calls label 1 "is_yin" but names the classes yin, yang, dot in
    the order 0, 1, 2; only the numbers matter.) Points outside the big circle get a
    label too; :func:`yin_yang` never draws them.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    d_right = np.hypot(x - 1.5 * r_big, y - r_big)
    d_left = np.hypot(x - 0.5 * r_big, y - r_big)
    upper = (d_right <= r_small) | ((d_left > r_small) & (d_left <= 0.5 * r_big)) | (
        (y > r_big) & (d_right > 0.5 * r_big))
    dots = (d_right < r_small) | (d_left < r_small)
    return np.where(dots, 2, upper.astype(np.int64))


def yin_yang(size: int, seed: int, r_small: float = YIN_YANG_R_SMALL,
             r_big: float = YIN_YANG_R_BIG) -> tuple[np.ndarray, np.ndarray]:
    """``size`` Yin-Yang samples drawn as Kriener et al. 2022 describe.

    For each sample the goal class is drawn uniformly from {0, 1, 2}; then points are
    drawn uniformly in the square ``[0, 2 r_big)^2`` and rejected until one lies inside
    the big circle and :func:`yin_yang_class` gives the goal class. Random numbers come
    from ``np.random.RandomState(seed)`` in that order, so the published splits
    (:data:`YIN_YANG_SPLITS`) are reproduced. Returns ``x`` of shape (size, 4) with
    features ``(x, y, 1 - x, 1 - y)`` (the mirrored pair keeps the total input the same
    for every sample) and labels ``y`` (int64) of shape (size,).
    """
    if int(size) != size or size < 0:
        raise DatasetError(f"size must be a non-negative integer, got {size!r}")
    rng = np.random.RandomState(seed)
    points = np.empty((int(size), 2))
    labels = np.empty(int(size), dtype=np.int64)
    for k in range(int(size)):
        goal = rng.randint(YIN_YANG_CLASSES)
        while True:
            px, py = rng.rand(2) * 2 * r_big
            if np.hypot(px - r_big, py - r_big) > r_big:
                continue
            if yin_yang_class(px, py, r_small, r_big) == goal:
                break
        points[k] = px, py
        labels[k] = goal
    return np.hstack([points, 1.0 - points]), labels


def yin_yang_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The train (5000, seed 42), validation (1000, seed 41) and test (1000, seed 40)
    sets of Kriener et al. 2022, as used by Goeltz et al. 2021."""
    return {name: yin_yang(size, seed) for name, (size, seed) in YIN_YANG_SPLITS.items()}


def digits(test_fraction: float = 0.25, validation_fraction: float = 0.15,
           seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """scikit-learn's 8x8 digits (1797 samples, 10 classes), inverted so that ink is 0
    (fires early under the TTFS encoding) and paper is 1 (never fires), split into
    ``train``, ``validation`` and ``test`` (fractions of all samples, stratified by class,
    ``seed``)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise DatasetError("the 8x8 digits come with scikit-learn: pip install scikit-learn") from err
    if not (0.0 < test_fraction and 0.0 < validation_fraction and test_fraction + validation_fraction < 1.0):
        raise DatasetError(f"test_fraction ({test_fraction}) and validation_fraction ({validation_fraction}) must be "
                           f"positive and sum to less than 1")
    bunch = load_digits()
    x = 1.0 - bunch.data / 16.0
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    split = np.zeros(y.size, np.int64)  # 0 train, 1 validation, 2 test
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * members.size))
        n_val = int(round(validation_fraction * members.size))
        split[members[:n_test]] = 2
        split[members[n_test:n_test + n_val]] = 1
    return {name: (x[split == k], y[split == k]) for k, name in enumerate(("train", "validation", "test"))}


MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
MNIST_TRAIN_SIZE = 50_000
"""Goeltz et al. 2021: MNIST training images 0..49999 train, 50000..59999 validate."""


def mnist(folder: str | Path, split: str = "train", size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the four IDX files in ``folder`` (plain or ``.gz``), preprocessed as in
    Goeltz et al. 2021: crop the central 24x24 pixels, resize to ``size`` x ``size``
    (``size=28`` keeps the full image uncropped), scale to [0, 1] and invert, so that
    strokes are near 0 (early spikes) and background is 1 (no spike under
    ``late_is_silent`` encoding). ``split``: ``train`` (images 0..49999), ``validation``
    (50000..59999) or ``test`` (the 10000 test images). Nothing is downloaded.
    """
    if split not in ("train", "validation", "test"):
        raise DatasetError(f"split must be 'train', 'validation' or 'test', got {split!r}")
    images_name, labels_name = MNIST_FILES["test" if split == "test" else "train"]
    images = _read_idx(_find(Path(folder), images_name)).astype(float) / 255.0
    labels = _read_idx(_find(Path(folder), labels_name)).astype(np.int64)
    if split != "test":
        part = slice(0, MNIST_TRAIN_SIZE) if split == "train" else slice(MNIST_TRAIN_SIZE, None)
        images, labels = images[part], labels[part]
    if size != 28:
        from scipy.ndimage import zoom
        images = np.clip(zoom(images[:, 2:26, 2:26], (1, size / 24, size / 24), order=1), 0.0, 1.0)
    return 1.0 - images.reshape(len(images), -1), labels


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz", folder / name.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise DatasetError(
        f"MNIST file {name}[.gz] not found in {folder}. This suite downloads nothing: fetch the four IDX "
        f"files ({', '.join(n for pair in MNIST_FILES.values() for n in pair)}) from the MNIST site or "
        f"a mirror into one folder and pass that folder")


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (big-endian unsigned bytes, as MNIST ships) -> numpy array."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DatasetError(f"{path}: header promises {shape} values, file holds {data.size}")
    return data.reshape(shape)


def check_classification_data(x: np.ndarray, y: np.ndarray, n_features: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` as float64 / int64 after checking shapes, finiteness, feature range
    [0, 1] and label range; raises :class:`DatasetError` naming the problem."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise DatasetError(f"expected features of shape (n_samples, {n_features}), got {x.shape}")
    if y.shape != (x.shape[0],):
        raise DatasetError(f"expected {x.shape[0]} labels (one per sample), got shape {y.shape}")
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"{int(np.sum(~np.isfinite(x)))} features are NaN or infinite; clean the data first")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise DatasetError(f"features must lie in [0, 1] (they become spike times), got {x.min():.3g}..{x.max():.3g}")
    if not np.issubdtype(y.dtype, np.integer) and not np.all(np.mod(y, 1) == 0):
        raise DatasetError("labels must be integers")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DatasetError(f"labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    return x, y
