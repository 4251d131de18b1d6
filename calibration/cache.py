"""Cached calibrations, keyed by (chip identity, targets, suite version).

Default folder ``~/.cache/bss2-suite/calibration``; the environment variable
``BSS2_CALIB_CACHE`` or the ``cache_dir`` argument override it.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from emulator.interface import Chip

from .errors import CalibrationFileError
from .neuron import calibrate, suite_version
from .result import CalibrationResult
from .targets import CalibrationTargets

SUFFIX = ".bss2cal"
T = TypeVar("T")
ALGORITHM_VERSION = 5
"""Part of the cache key: bump it when a measurement or search changes, so results of the
old procedure are not reused."""


def default_cache_dir() -> Path:
    env = os.environ.get("BSS2_CALIB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "bss2-suite" / "calibration"


def keyed_path(chip_identity: str, key_parts: list[str], cache_dir: str | Path | None = None,
               suffix: str = SUFFIX) -> Path:
    """Cache file of a chip for a key (targets, suite version, procedure): ``<chip>_<hash><suffix>``
    in ``cache_dir`` or :func:`default_cache_dir`."""
    key = hashlib.sha256("\n".join([chip_identity, *key_parts]).encode()).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", chip_identity)
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return folder / f"{safe}_{key[:20]}{suffix}"


def cache_path(chip_identity: str, targets: CalibrationTargets, cache_dir: str | Path | None = None) -> Path:
    """Where the calibration of this chip for these targets, this suite version and this
    calibration procedure lives."""
    return keyed_path(chip_identity, [targets.key(), suite_version(), f"algorithm {ALGORITHM_VERSION}"], cache_dir)


def cached_or_calibrated(path: Path, load: Callable[[Path], T], matches: Callable[[T], bool],
                         calibrate_now: Callable[[], T], what: str) -> T:
    """The result cached at ``path`` when it ``matches`` the request, else ``calibrate_now()``
    saved there; an unreadable or mismatching file is reported as a warning and replaced."""
    if path.exists():
        try:
            cached = load(path)
            if matches(cached):
                return cached
            warnings.warn(f"cached {what} {path} holds other targets; recalibrating", stacklevel=3)
        except CalibrationFileError as err:
            warnings.warn(f"{err}; recalibrating", stacklevel=3)
    result = calibrate_now()
    result.save(path)
    return result


def load_or_calibrate(chip: Chip, targets: CalibrationTargets | None = None,
                      cache_dir: str | Path | None = None, progress: bool = True) -> CalibrationResult:
    """The cached calibration of ``chip`` for ``targets``, calibrating (and caching) if there
    is none. An unreadable cache file is reported as a warning and replaced."""
    targets = (targets if targets is not None else CalibrationTargets()).validate()
    return cached_or_calibrated(cache_path(chip.identity, targets, cache_dir),
                                lambda path: CalibrationResult.load(path, chip_identity=chip.identity),
                                lambda cached: cached.targets == targets,
                                lambda: calibrate(chip, targets, progress=progress), "calibration")
