"""Calibrate the synapses' correlation sensors: per-quadrant CapMem biases for a target
amplitude (CADC LSB per correlated pair at delay 0) and time constant (hardware us).

After calix (``calix.spiking.correlation.calibrate``, Electronic Visions, github
electronicvisions/calix): the store bias (``syn_i_bias_store``) sets the amplitude, the
ramp bias (``syn_i_bias_ramp``) the time constant, both once per CapMem quadrant; a larger
bias gives a smaller value (calix searches both ``inverted``); a quadrant's value is the
median over a few measured columns (:mod:`calibration.correlation_measurement`). Targets
and their feasible ranges are calix' ``CorrelationCalibTarget``: amplitude 0.2..2.0,
time constant 2..30 us, defaults 0.5 and 5 us. Individual synapses' calibration bits
(calix' optional two-hour step) are not modelled: the per-synapse spread stays.

Both biases act as power laws (a bias current discharging or filling a capacitor), so
each is searched with :class:`calibration.algorithms.PowerLawSearch`, both quadrant-wise in
lockstep (one run measures amplitude and time constant): first probes at the design value
around a first guess from a measurement at the design biases (:data:`SEARCH_FACTOR`, the
search bounds), then two secant steps. A pilot run and five measurement runs of ~0.3 s
each on the emulator.

Kept apart from the neuron calibration (own file, own cache key and version), so neuron
calibrations cached before stay valid. ``load_or_calibrate_correlation`` caches results
per (chip identity, target, suite version, :data:`ALGORITHM_VERSION`) next to them.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, Chip, ChipConfiguration, CorrelationSensorConfig

from .algorithms import PowerLawSearch
from .cache import cached_or_calibrated, keyed_path
from .correlation_measurement import CorrelationProtocol
from .errors import CalibrationFileError, ChipMismatchError, TargetError
from .measure import Probe
from .neuron import suite_version
from .storage import write_atomically

AMPLITUDE_RANGE_LSB = (0.2, 2.0)
"""Feasible amplitudes per correlated pair (calix ``CorrelationCalibTarget``)."""
TAU_RANGE_US = (2.0, 30.0)
"""Feasible time constants (calix ``CorrelationCalibTarget``)."""
DESIGN_RAMP_DAC_US = 240 * 5.0
"""Design ramp DAC x time constant: the ramp bias for ``tau`` is ~``1200 / tau`` on the design chip."""
DESIGN_STORE_DAC_LSB = 200 * 0.5
"""Design store DAC x amplitude: the store bias for ``amplitude`` is ~``100 / amplitude``."""
SEARCH_FACTOR = 1.25
"""The search brackets the first guess (the design bias scaled by what it achieved,
assuming amplitude and tau ~ 1 / bias) by / 1.25 .. x 1.25: deviations of the power
law's exponent from 1 (N(1, 0.05) on the emulator) move the answer by a few percent."""
TOLERANCE = 0.05
"""A quadrant succeeds when amplitude and time constant lie within 5 % of the target."""
ALGORITHM_VERSION = 1
"""Part of the cache key of correlation calibrations (independent of the neuron one)."""
FORMAT_NAME = "bss2-suite correlation calibration"
FORMAT_VERSION = 1
SUFFIX = ".bss2corr.json"


@dataclass(frozen=True)
class CorrelationTarget:
    """Target amplitude (CADC LSB per correlated pair at delay 0) and time constant (us)."""

    amplitude_lsb: float = 0.5
    tau_us: float = 5.0

    def validate(self) -> "CorrelationTarget":
        """Raise :class:`TargetError` naming the feasible range; returns ``self``."""
        for name, value, (low, high), unit in (("amplitude_lsb", self.amplitude_lsb, AMPLITUDE_RANGE_LSB,
                                                "CADC LSB per correlated pair"),
                                               ("tau_us", self.tau_us, TAU_RANGE_US, "hardware us")):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TargetError(f"correlation {name} must be a number ({unit}), got {value!r}")
            if not math.isfinite(value) or not low <= value <= high:
                raise TargetError(
                    f"correlation {name} = {value!r} is outside the feasible range {low}..{high} {unit} "
                    f"(calix CorrelationCalibTarget); choose a value in that range")
        return self

    def key(self) -> str:
        return f"amplitude_lsb={float(self.amplitude_lsb)!r};tau_us={float(self.tau_us)!r}"


@dataclass
class CorrelationCalibrationResult:
    """Per-quadrant biases found for ``target`` on one chip, what they achieved, and
    (``before_*``) what the design biases give on this chip (calix' "uncalibrated")."""

    chip_identity: str
    target: CorrelationTarget
    i_bias_ramp_dac: np.ndarray
    i_bias_store_dac: np.ndarray
    v_res_meas_mv: float
    amplitude_lsb: np.ndarray
    """(4,) achieved amplitude per quadrant (CADC LSB per pair)."""
    tau_us: np.ndarray
    """(4,) achieved time constant per quadrant (us)."""
    before_amplitude_lsb: np.ndarray
    before_tau_us: np.ndarray
    success: np.ndarray
    suite_version: str
    created_utc: str
    seconds: float
    n_runs: int

    @property
    def sensor_config(self) -> CorrelationSensorConfig:
        return CorrelationSensorConfig(np.asarray(self.i_bias_ramp_dac, np.int32).copy(),
                                       np.asarray(self.i_bias_store_dac, np.int32).copy(), float(self.v_res_meas_mv))

    def apply(self, config: ChipConfiguration | None = None) -> ChipConfiguration:
        """A copy of ``config`` (default: a fresh one) with these correlation biases."""
        out = (config if config is not None else ChipConfiguration()).copy()
        out.correlation = self.sensor_config
        return out

    @property
    def calibration_id(self) -> str:
        """Content hash (16 hex digits) of chip identity, target and biases."""
        digest = hashlib.sha256("\n".join([self.chip_identity, self.target.key(), repr(float(self.v_res_meas_mv))])
                                .encode())
        for values in (self.i_bias_ramp_dac, self.i_bias_store_dac):
            digest.update(np.ascontiguousarray(values, dtype="<i4").tobytes())
        return digest.hexdigest()[:16]

    def deviation(self) -> dict[str, float]:
        """Relative deviation from the target across quadrants, before and after: mean
        |dev| and max |dev| of amplitude and time constant."""
        out = {}
        for stage, amp, tau in (("before", self.before_amplitude_lsb, self.before_tau_us),
                                ("after", self.amplitude_lsb, self.tau_us)):
            for name, values, target in (("amplitude", amp, self.target.amplitude_lsb),
                                         ("tau", tau, self.target.tau_us)):
                rel = np.abs(np.asarray(values) / target - 1.0)
                out[f"{name}_{stage}_mean_rel"] = float(np.mean(rel))
                out[f"{name}_{stage}_max_rel"] = float(np.max(rel))
        return out

    def summary(self) -> dict:
        return {"chip_identity": self.chip_identity, "calibration_id": self.calibration_id,
                "target": {"amplitude_lsb": self.target.amplitude_lsb, "tau_us": self.target.tau_us},
                "amplitude_lsb": np.round(self.amplitude_lsb, 4).tolist(), "tau_us": np.round(self.tau_us, 3).tolist(),
                "failed_quadrants": np.flatnonzero(~self.success).tolist(), "seconds": self.seconds,
                **self.deviation()}

    # -- storage ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        arrays = ("i_bias_ramp_dac", "i_bias_store_dac", "amplitude_lsb", "tau_us", "before_amplitude_lsb",
                  "before_tau_us", "success")
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "calibration_id": self.calibration_id,
                "chip_identity": self.chip_identity,
                "target": {"amplitude_lsb": float(self.target.amplitude_lsb), "tau_us": float(self.target.tau_us)},
                "v_res_meas_mv": float(self.v_res_meas_mv), "suite_version": self.suite_version,
                "created_utc": self.created_utc, "seconds": float(self.seconds), "n_runs": int(self.n_runs),
                **{name: np.asarray(getattr(self, name)).tolist() for name in arrays}}

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON, atomically (a temporary file, then a rename)."""
        return write_atomically(path, json.dumps(self.to_dict(), indent=1, sort_keys=True).encode())

    @classmethod
    def load(cls, path: str | Path, chip_identity: str | None = None) -> "CorrelationCalibrationResult":
        """Read a saved result; with ``chip_identity`` refuse another chip's file."""
        path = Path(path)
        fix = "delete it and calibrate again"
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CalibrationFileError(f"correlation calibration file {path} is unreadable ({err}); {fix}") from err
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise CalibrationFileError(f"{path} is not a {FORMAT_NAME} file; check the path")
        if not isinstance(data.get("format_version"), int) or data["format_version"] > FORMAT_VERSION:
            raise CalibrationFileError(f"{path}: format version {data.get('format_version')} is newer than this "
                                       f"bss2-suite reads ({FORMAT_VERSION}); update bss2-suite or {fix}")
        if chip_identity is not None and data.get("chip_identity") != chip_identity:
            raise ChipMismatchError(f"correlation calibration {path} belongs to chip {data.get('chip_identity')!r}, "
                                    f"not {chip_identity!r}; calibrate this chip instead")
        try:
            quad = lambda name, dtype: np.asarray(data[name], dtype=dtype).reshape(4)  # noqa: E731
            result = cls(
                chip_identity=str(data["chip_identity"]),
                target=CorrelationTarget(float(data["target"]["amplitude_lsb"]),
                                         float(data["target"]["tau_us"])).validate(),
                i_bias_ramp_dac=quad("i_bias_ramp_dac", np.int32), i_bias_store_dac=quad("i_bias_store_dac", np.int32),
                v_res_meas_mv=float(data["v_res_meas_mv"]), amplitude_lsb=quad("amplitude_lsb", float),
                tau_us=quad("tau_us", float), before_amplitude_lsb=quad("before_amplitude_lsb", float),
                before_tau_us=quad("before_tau_us", float), success=quad("success", bool),
                suite_version=str(data["suite_version"]), created_utc=str(data["created_utc"]),
                seconds=float(data["seconds"]), n_runs=int(data["n_runs"]))
        except (KeyError, TypeError, ValueError) as err:
            raise CalibrationFileError(f"correlation calibration file {path} is corrupt ({err!r}); {fix}") from err
        if result.calibration_id != data.get("calibration_id"):
            raise CalibrationFileError(f"correlation calibration file {path}: calibration id does not match the "
                                       f"stored values (corrupt); {fix}")
        result.sensor_config.validate()
        return result


def design_biases(target: CorrelationTarget) -> tuple[int, int]:
    """(ramp, store) DAC that give ``target`` on the design chip."""
    ramp = int(np.clip(round(DESIGN_RAMP_DAC_US / target.tau_us), 1, CAPMEM_MAX_DAC))
    store = int(np.clip(round(DESIGN_STORE_DAC_LSB / target.amplitude_lsb), 1, CAPMEM_MAX_DAC))
    return ramp, store


def calibrate_correlation(chip: Chip, target: CorrelationTarget | None = None, *,
                          v_res_meas_mv: float = 900.0, seed: int = 0) -> CorrelationCalibrationResult:
    """Find per-quadrant ramp and store biases of ``chip`` for ``target`` (see module doc)."""
    target = (target if target is not None else CorrelationTarget()).validate()
    start = time.perf_counter()
    probe = Probe(chip, seed)
    protocol = CorrelationProtocol(probe, target.tau_us, target.amplitude_lsb)
    design = np.array(design_biases(target))[:, None] * np.ones(4, np.int64)

    def sensors(parameters: np.ndarray) -> CorrelationSensorConfig:
        return CorrelationSensorConfig(parameters[0].astype(np.int32), parameters[1].astype(np.int32),
                                       float(v_res_meas_mv))

    def measure(parameters: np.ndarray) -> np.ndarray:
        m = protocol.measure(sensors(parameters))
        return np.stack([m.tau_us, m.amplitude_lsb])

    before = measure(design)
    goal = np.array([[target.tau_us], [target.amplitude_lsb]]) * np.ones((2, 4))
    # first guess: amplitude and tau ~ 1 / bias, scaled by what the design biases gave
    guess = np.where(np.isfinite(before), design * before / goal, design)
    low = np.clip(np.floor(guess / SEARCH_FACTOR), 1, CAPMEM_MAX_DAC).astype(np.int64)
    high = np.clip(np.ceil(guess * SEARCH_FACTOR), 1, CAPMEM_MAX_DAC).astype(np.int64)
    # the probes at the range ends are clipped to each entry's bounds: every entry starts at its own
    found = PowerLawSearch(probes=(1, CAPMEM_MAX_DAC), steps=2).search(measure, goal, inverted=True, low=low,
                                                                       high=high)
    within = np.abs(found.results / goal - 1.0) <= TOLERANCE
    success = np.all(found.success & within, axis=0)
    if not success.all():
        warnings.warn(f"correlation calibration of {chip.identity}: quadrants {np.flatnonzero(~success).tolist()} "
                      f"missed the target {target} by more than {TOLERANCE:.0%} (tau {found.results[0]}, amplitude "
                      f"{found.results[1]})", stacklevel=2)
    return CorrelationCalibrationResult(
        chip_identity=chip.identity, target=target, i_bias_ramp_dac=found.values[0].astype(np.int32),
        i_bias_store_dac=found.values[1].astype(np.int32), v_res_meas_mv=float(v_res_meas_mv),
        amplitude_lsb=found.results[1], tau_us=found.results[0], before_amplitude_lsb=before[1],
        before_tau_us=before[0], success=success, suite_version=suite_version(),
        created_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        seconds=time.perf_counter() - start, n_runs=probe.n_runs)


def correlation_cache_path(chip_identity: str, target: CorrelationTarget, cache_dir: str | Path | None = None) -> Path:
    """Where the correlation calibration of this chip for this target lives."""
    return keyed_path(chip_identity, [target.key(), suite_version(), f"correlation algorithm {ALGORITHM_VERSION}"],
                      cache_dir, SUFFIX)


def load_or_calibrate_correlation(chip: Chip, target: CorrelationTarget | None = None,
                                  cache_dir: str | Path | None = None) -> CorrelationCalibrationResult:
    """The cached correlation calibration of ``chip`` for ``target``, calibrating (and
    caching) if there is none; an unreadable cache file is reported and replaced."""
    target = (target if target is not None else CorrelationTarget()).validate()
    return cached_or_calibrated(correlation_cache_path(chip.identity, target, cache_dir),
                                lambda path: CorrelationCalibrationResult.load(path, chip_identity=chip.identity),
                                lambda cached: cached.target == target,
                                lambda: calibrate_correlation(chip, target), "correlation calibration")
