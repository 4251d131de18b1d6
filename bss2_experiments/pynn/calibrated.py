"""Calibration for a run: build the targets of the placed neurons, then load or run the
calibration (``calibration.load_or_calibrate``, cached on disk per chip and targets and
in memory for this session).

``setup(calibration=...)`` chooses:

* ``"auto"`` (default): calibrate this chip (or load its cached calibration);
* a :class:`calibration.CalibrationResult`: use it as given;
* ``None``: no calibration, i.e. the *design* DAC values, those that calibrating an
  ideal chip gives, on this chip. Its fixed-pattern noise then shows unchanged.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from calibration import CalibrationTargets, load_or_calibrate
from emulator.chip import Emulator
from emulator.interface import N_NEURONS


TARGET_FIELDS = tuple(CalibrationTargets.names())
"""Names of the calibration targets (CADC LSB, hardware us, CapMem DAC)."""
OPTIONAL_FIELDS = tuple(CalibrationTargets.optional_names())
"""Targets only some cell types have (the COBA reversal potentials); ``None`` otherwise."""


def targets_array(values: dict[str, np.ndarray], chip_neurons: np.ndarray, labels: dict[str, str]) -> dict:
    """Per-field targets for all 512 neurons from the placed neurons' values.

    A field that is the same for every placed neuron becomes a scalar (so networks of
    any size with the same parameters share one cached calibration); otherwise unplaced
    neurons take the first placed neuron's value. An optional field (:data:`OPTIONAL_FIELDS`)
    may be ``None``: no placed neuron has it. ``labels[field]`` names the PyNN parameter for
    error messages.
    """
    meta = {f.name: f.metadata for f in dataclasses.fields(CalibrationTargets)}
    out = {}
    for name in TARGET_FIELDS:
        if values[name] is None and name in OPTIONAL_FIELDS:
            out[name] = None
            continue
        v = np.asarray(values[name], dtype=float)
        low, high = meta[name]["low"], meta[name]["high"]
        bad = np.flatnonzero((v < low - 1e-9) | (v > high + 1e-9))
        if bad.size:
            raise ValueError(
                f"{labels.get(name, name)} of neuron {bad[0]} maps to {name} = {v[bad[0]]:.4g}, but "
                f"{CalibrationTargets.describe(name)} ({bad.size} neurons affected); see "
                f"bss2_experiments.pynn.scaling for the mapping from biological units")
        if np.all(v == v[0]):
            out[name] = float(v[0])
        else:
            full = np.full(N_NEURONS, v[0])
            full[chip_neurons] = v
            out[name] = full
    if np.ndim(out["synapse_dac_bias"]) != 0:
        raise ValueError("synapse_dac_bias is one global value per chip; all populations must use the same")
    return out


def _key(chip_identity: str, targets: dict) -> tuple:
    return (chip_identity,) + tuple((k, None if v is None else np.asarray(v).tobytes())
                                    for k, v in sorted(targets.items()))


def calibration_for(state, targets: dict):
    """The :class:`calibration.CalibrationResult` to apply for ``targets`` (see module doc)."""
    choice = state.chip_options.get("calibration", "auto")
    if choice is not None and not isinstance(choice, str):
        return choice  # a CalibrationResult given by the user
    if choice not in ("auto", None):
        raise ValueError(f"calibration={choice!r}: use 'auto', None or a calibration.CalibrationResult")
    chip = state.chip if choice == "auto" else _design_chip(state)
    key = _key(chip.identity, targets)
    cache = state.calibration_cache
    if key not in cache:
        cache[key] = load_or_calibrate(chip, CalibrationTargets(**targets),
                                       cache_dir=state.chip_options.get("cache_dir"),
                                       progress=state.chip_options.get("progress", True))
    return cache[key]


def _design_chip(state):
    """An ideal emulated chip: calibrating it inverts the design transfer functions."""
    return Emulator(ideal=True, dt_us=float(state.chip_options.get("dt_us", 0.1)))
