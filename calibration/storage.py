"""The calibration file: a versioned, checksummed container.

Layout (all integers little endian)::

    b"BSS2-CALIBRATION\\n"             magic, 17 bytes
    header length                     8 bytes, unsigned
    header                            UTF-8 JSON object
    payload                           an uncompressed NPZ archive of the arrays

The header holds ``format`` (:data:`FORMAT_NAME`), ``format_version``, the payload's
length and sha256, and ``metadata`` (chip identity, calibration id, targets, suite version,
creation date, seconds, runs). The payload holds ``dac/<field>``,
``achieved/<quantity>``, ``success/<quantity>``, ``before/<quantity>`` (values at the
median parameters), ``cadc_channel_offset`` and
``synapse_dac_bias``. Loading refuses, with a :class:`CalibrationFileError` that says
what to do: a wrong magic, a truncated file, a checksum mismatch, a newer format version,
unknown header/metadata/array keys, another chip's file (:class:`ChipMismatchError`).
"""
from __future__ import annotations

import io
import json
import os
import struct
import tempfile
from hashlib import sha256
from pathlib import Path

import numpy as np

from emulator.interface import NeuronConfig

from .errors import CalibrationFileError, ChipMismatchError, TargetError
from .result import CalibrationResult
from .targets import CalibrationTargets

MAGIC = b"BSS2-CALIBRATION\n"
FORMAT_NAME = "bss2-suite calibration"
FORMAT_VERSION = 1
HEADER_KEYS = {"format", "format_version", "payload_bytes", "payload_sha256", "metadata"}
METADATA_KEYS = {"chip_identity", "calibration_id", "targets", "suite_version", "created_utc",
                 "seconds", "n_runs"}
ARRAY_GROUPS = ("dac", "achieved", "success", "before")
SINGLE_ARRAYS = ("cadc_channel_offset", "synapse_dac_bias")
DAC_FIELDS = set(NeuronConfig.analog_fields()) | {
    "leak_enable_multiplication", "leak_enable_division", "refractory_period_refractory_time",
    "refractory_period_input_clock", "refractory_period_reset_holdoff",
    "excitatory_input_enable_coba_mode", "inhibitory_input_enable_coba_mode",
    "adaptation_enable", "adaptation_invert_a", "adaptation_invert_b", "exponential_enable"}


def _payload(result: CalibrationResult) -> bytes:
    arrays = {f"{group}/{name}": np.asarray(values)
              for group in ARRAY_GROUPS for name, values in getattr(result, group).items()}
    arrays["cadc_channel_offset"] = np.asarray(result.cadc_channel_offset, dtype=np.int32)
    arrays["synapse_dac_bias"] = np.asarray(result.synapse_dac_bias, dtype=np.int32)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: arrays[k] for k in sorted(arrays)})
    return buffer.getvalue()


def save(result: CalibrationResult, path: str | Path) -> Path:
    """Write ``result`` to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    payload = _payload(result)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "payload_bytes": len(payload),
        "payload_sha256": sha256(payload).hexdigest(),
        "metadata": {
            "chip_identity": result.chip_identity,
            "calibration_id": result.calibration_id,
            "targets": result.targets.to_dict(),
            "suite_version": result.suite_version,
            "created_utc": result.created_utc,
            "seconds": result.seconds,
            "n_runs": result.n_runs,
        },
    }
    head = json.dumps(header, sort_keys=True).encode()
    return write_atomically(path, MAGIC + struct.pack("<Q", len(head)) + head + payload)


def write_atomically(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename, so that a reader
    never sees a half-written calibration."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fail(path: Path, problem: str, fix: str = "recalibrate with `bss2 calibrate`") -> CalibrationFileError:
    return CalibrationFileError(f"calibration file {path}: {problem}; {fix}")


def _read_header(path: Path, data: bytes) -> tuple[dict, bytes]:
    if not data.startswith(MAGIC):
        raise _fail(path, "not a bss2-suite calibration file (wrong magic bytes)", "check the path")
    start = len(MAGIC) + 8
    if len(data) < start:
        raise _fail(path, "truncated inside the header")
    (length,) = struct.unpack("<Q", data[len(MAGIC):start])
    if len(data) < start + length:
        raise _fail(path, "truncated inside the header")
    try:
        header = json.loads(data[start:start + length].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _fail(path, f"corrupt header ({err})") from err
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise _fail(path, "corrupt header (no bss2-suite calibration format name)")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _fail(path, f"format version {version} is newer than this bss2-suite reads "
                          f"({FORMAT_VERSION})", "update bss2-suite or recalibrate")
    unknown = set(header) - HEADER_KEYS
    if unknown:
        raise _fail(path, f"unknown header keys {sorted(unknown)}")
    if not isinstance(header.get("metadata"), dict):
        raise _fail(path, "corrupt header (metadata missing)")
    unknown = set(header["metadata"]) ^ METADATA_KEYS
    if unknown:
        raise _fail(path, f"unknown or missing metadata keys {sorted(unknown)}")
    return header, data[start + length:]


def _read_arrays(path: Path, header: dict, payload: bytes) -> dict[str, np.ndarray]:
    if len(payload) != header["payload_bytes"]:
        raise _fail(path, f"truncated or padded payload ({len(payload)} bytes, header says "
                          f"{header['payload_bytes']})")
    if sha256(payload).hexdigest() != header["payload_sha256"]:
        raise _fail(path, "checksum mismatch: the file is corrupt")
    with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    for name in arrays:
        group, _, key = name.partition("/")
        known = (name in SINGLE_ARRAYS or (group == "dac" and key in DAC_FIELDS)
                 or (group in ("achieved", "success", "before") and key))
        if not known:
            raise _fail(path, f"unknown array key {name!r}")
    missing = [name for name in SINGLE_ARRAYS if name not in arrays]
    if missing:
        raise _fail(path, f"missing arrays {missing}")
    return arrays


def load(path: str | Path, chip_identity: str | None = None) -> CalibrationResult:
    """Read a calibration file; with ``chip_identity`` refuse a file of another chip."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CalibrationFileError(f"cannot read calibration file {path}: {err}") from err
    header, payload = _read_header(path, data)
    meta = header["metadata"]
    if chip_identity is not None and meta["chip_identity"] != chip_identity:
        raise ChipMismatchError(
            f"calibration file {path} belongs to chip {meta['chip_identity']!r}, not "
            f"{chip_identity!r}; calibrate this chip with `bss2 calibrate` or pick its own file")
    arrays = _read_arrays(path, header, payload)
    try:
        targets = CalibrationTargets.from_dict(meta["targets"])
    except TargetError as err:
        raise _fail(path, f"invalid targets ({err})") from err

    def group(name: str) -> dict[str, np.ndarray]:
        prefix = f"{name}/"
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    result = CalibrationResult(
        chip_identity=meta["chip_identity"], targets=targets, dac=group("dac"),
        achieved=group("achieved"), success={k: v.astype(bool) for k, v in group("success").items()},
        before=group("before"),
        cadc_channel_offset=arrays["cadc_channel_offset"], synapse_dac_bias=arrays["synapse_dac_bias"],
        suite_version=meta["suite_version"], created_utc=meta["created_utc"],
        seconds=float(meta["seconds"]), n_runs=int(meta["n_runs"]))
    if result.calibration_id != meta["calibration_id"]:
        raise _fail(path, "calibration id does not match the stored values: the file is corrupt")
    return result
