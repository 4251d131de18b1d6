"""Data sets: Yin-Yang class rule and published splits, 8x8 digits, MNIST IDX loading."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from bss2_experiments import datasets
from bss2_experiments.datasets import DatasetError


@pytest.mark.parametrize("point, label", [
    ((0.75, 0.5), 2),   # centre of the right dot
    ((0.25, 0.5), 2),   # centre of the left dot
    ((0.5, 0.9), 1),    # top of the upper half
    ((0.5, 0.1), 0),    # bottom of the lower half
    ((0.25, 0.65), 1),  # left bulge above the left dot belongs to the upper class
    ((0.75, 0.65), 0),  # right bulge above the right dot belongs to the lower class
    ((0.75, 0.35), 0),
    ((0.25, 0.35), 1),
])
def test_yin_yang_class_rule_on_hand_picked_points(point, label):
    assert datasets.yin_yang_class(*point) == label


def test_yin_yang_reproduces_the_published_splits():
    splits = datasets.yin_yang_splits()
    # class counts of Kriener et al.'s publication_data (seeds 42 / 41 / 40)
    assert np.bincount(splits["train"][1]).tolist() == [1681, 1702, 1617]
    assert np.bincount(splits["validation"][1]).tolist() == [316, 336, 348]
    assert np.bincount(splits["test"][1]).tolist() == [350, 316, 334]
    x, y = splits["test"]
    assert x.shape == (1000, 4) and y.dtype == np.int64
    np.testing.assert_allclose(x[:, 2:], 1.0 - x[:, :2])
    assert np.all(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5) <= 0.5)
    np.testing.assert_array_equal(datasets.yin_yang_class(x[:, 0], x[:, 1]), y)


def test_yin_yang_is_seeded_and_balanced():
    a, b = datasets.yin_yang(3000, seed=5), datasets.yin_yang(3000, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    counts = np.bincount(a[1], minlength=3)
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(3000 * (1 / 3) * (2 / 3)))
    assert not np.array_equal(a[0], datasets.yin_yang(3000, seed=6)[0])
    with pytest.raises(DatasetError, match="non-negative integer"):
        datasets.yin_yang(-1, seed=0)


def test_digits_are_inverted_and_split_by_class():
    splits = datasets.digits(test_fraction=0.25, validation_fraction=0.15, seed=0)
    x, y = splits["train"]
    xv, yv = splits["validation"]
    xt, yt = splits["test"]
    assert x.shape[1] == 64 and len(x) + len(xv) + len(xt) == 1797
    assert x.min() == 0.0 and x.max() == 1.0 and np.mean(x == 1.0) > 0.3  # paper is 1: silent under TTFS
    assert set(np.unique(yt)) == set(range(10)) == set(np.unique(yv))
    assert abs(len(xt) / 1797 - 0.25) < 0.01 and abs(len(xv) / 1797 - 0.15) < 0.01
    with pytest.raises(DatasetError, match="sum to less than 1"):
        datasets.digits(test_fraction=0.5, validation_fraction=0.5)


def _write_idx(path, array: np.ndarray, compress: bool):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files_and_preprocesses(tmp_path, compress):
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 10:18, 12:16] = 255  # a bright bar in the centre
    labels = np.array([7, 1, 4], np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", images, compress)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, compress)
    x, y = datasets.mnist(tmp_path, "test")
    assert x.shape == (3, 256) and y.tolist() == [7, 1, 4]
    assert x.max() == 1.0 and x.min() < 0.05  # background 1 (no spike), strokes near 0 (early)
    assert np.mean(x == 1.0) > 0.8
    full, _ = datasets.mnist(tmp_path, "test", size=28)
    assert full.shape == (3, 784)


def test_mnist_without_files_names_the_fix(tmp_path):
    with pytest.raises(DatasetError, match="downloads nothing.*train-images-idx3-ubyte"):
        datasets.mnist(tmp_path, "train")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(DatasetError, match="not an IDX file"):
        datasets.mnist(tmp_path, "train")
    with pytest.raises(DatasetError, match="split must be"):
        datasets.mnist(tmp_path, "dev")


def test_bad_classification_data_gives_clear_errors():
    x, y = datasets.yin_yang(10, seed=1)
    with pytest.raises(DatasetError, match=r"shape \(n_samples, 4\)"):
        datasets.check_classification_data(x[:, :3], y, 4, 3)
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(DatasetError, match="NaN"):
        datasets.check_classification_data(bad, y, 4, 3)
    with pytest.raises(DatasetError, match=r"labels must lie in 0..2"):
        datasets.check_classification_data(x, y + 3, 4, 3)
    with pytest.raises(DatasetError, match=r"\[0, 1\]"):
        datasets.check_classification_data(x * 2, y, 4, 3)
    with pytest.raises(DatasetError, match="one per sample"):
        datasets.check_classification_data(x, y[:5], 4, 3)
