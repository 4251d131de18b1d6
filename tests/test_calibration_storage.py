"""The calibration file: round trip and every refusal (synthetic results, no chip)."""
from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

from calibration import CalibrationError, CalibrationResult, CalibrationTargets, ChipMismatchError
from calibration.cache import cache_path, default_cache_dir
from calibration.errors import CalibrationFileError
from calibration.storage import FORMAT_VERSION, MAGIC
from emulator.interface import ChipConfiguration


def make_result(identity: str = "emulator:42") -> CalibrationResult:
    rng = np.random.default_rng(0)
    quantities = ("leak", "reset", "threshold", "tau_m", "tau_syn_exc", "tau_syn_inh",
                  "syn_strength_exc", "syn_strength_inh")
    success = {q: np.ones(512, bool) for q in quantities}
    success["tau_m"][[3, 17]] = False
    success["leak"][17] = False
    return CalibrationResult(
        chip_identity=identity, targets=CalibrationTargets(v_rest=np.linspace(60, 100, 512)),
        dac={"leak_v_leak": rng.integers(0, 1023, 512), "leak_i_bias": rng.integers(0, 1023, 512),
             "leak_enable_division": np.zeros(512, int), "threshold_v_threshold": rng.integers(0, 1023, 512)},
        achieved={q: rng.normal(80, 1, 512) for q in quantities}, success=success,
        before={q: rng.normal(80, 15, 512) for q in quantities},
        cadc_channel_offset=rng.integers(-40, 40, 512), synapse_dac_bias=np.full(4, 600),
        suite_version="0.1.0", created_utc="2026-11-28T12:00:00+00:00", seconds=7.5, n_runs=127)


def write_raw(path, header: dict, payload: bytes) -> None:
    head = json.dumps(header).encode()
    path.write_bytes(MAGIC + struct.pack("<Q", len(head)) + head + payload)


def read_raw(path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[len(MAGIC):len(MAGIC) + 8])
    start = len(MAGIC) + 8
    return json.loads(data[start:start + length]), data[start + length:]


def test_round_trip(tmp_path):
    result = make_result()
    path = result.save(tmp_path / "c.bss2cal")
    back = CalibrationResult.load(path, chip_identity="emulator:42")
    assert back.calibration_id == result.calibration_id and back.chip_identity == "emulator:42"
    assert back.targets == result.targets
    for group in ("dac", "achieved", "success", "before"):
        assert set(getattr(back, group)) == set(getattr(result, group))
        for k, v in getattr(result, group).items():
            np.testing.assert_array_equal(getattr(back, group)[k], v)
    assert back.std_before == pytest.approx(result.std_before) and back.std_after == pytest.approx(result.std_after)
    assert back.failed_neurons.tolist() == [3, 17]
    assert {k: v.tolist() for k, v in back.failures().items()} == {"tau_m": [3, 17], "leak": [17]}
    assert (back.suite_version, back.created_utc, back.seconds, back.n_runs) == ("0.1.0", result.created_utc, 7.5, 127)


def test_apply_sets_values_switches_offsets_and_bias():
    result = make_result()
    base = ChipConfiguration()
    config = result.apply(base)
    np.testing.assert_array_equal(config.neurons.leak_v_leak, result.dac["leak_v_leak"])
    np.testing.assert_array_equal(config.readout.cadc_channel_offset, result.cadc_channel_offset)
    assert config.neurons.threshold_enable.all() and config.neurons.excitatory_input_enable.all()
    assert config.neurons.leak_enable_division.dtype == bool
    assert not base.neurons.threshold_enable.any(), "apply must not modify its argument"
    config.validate()


def test_coba_round_trip_and_apply_switches_coba_on(tmp_path):
    result = make_result()
    assert not result.apply().neurons.excitatory_input_enable_coba_mode.any()
    result.targets = CalibrationTargets(e_rev_exc=300.0, e_rev_inh=30.0)
    for name in ("excitatory", "inhibitory"):
        result.dac[f"{name}_input_enable_coba_mode"] = np.ones(512, int)
        result.dac[f"{name}_input_v_rev_coba"] = np.full(512, 700 if name == "excitatory" else 90)
    back = CalibrationResult.load(result.save(tmp_path / "coba.bss2cal"), chip_identity="emulator:42")
    assert back.targets == result.targets and back.targets.coba
    config = back.apply()
    assert config.neurons.excitatory_input_enable_coba_mode.all() and config.neurons.inhibitory_input_enable_coba_mode.all()
    assert (config.neurons.excitatory_input_v_rev_coba == 700).all() and (config.neurons.inhibitory_input_v_rev_coba == 90).all()
    config.validate()


def test_adex_round_trip_and_apply_switches_adaptation_on(tmp_path):
    result = make_result()
    assert not result.apply().neurons.adaptation_enable.any()
    result.targets = CalibrationTargets(tau_w_us=144.0, adaptation_a=0.014, adaptation_b=0.86, v_exp_onset=118.0)
    for name in ("adaptation_enable", "exponential_enable"):
        result.dac[name] = np.ones(512, int)
    for name in ("adaptation_invert_a", "adaptation_invert_b"):
        result.dac[name] = np.zeros(512, int)
    result.dac["adaptation_i_bias_tau"] = np.full(512, 21)
    result.achieved["tau_w"] = np.full(512, 143.2)
    result.before["tau_w"] = np.full(512, 144.0) + np.linspace(-30, 30, 512)
    back = CalibrationResult.load(result.save(tmp_path / "adex.bss2cal"), chip_identity="emulator:42")
    assert back.targets == result.targets and back.targets.adaptation
    assert back.std_before["tau_w"] > 10 and back.std_after["tau_w"] < 1e-9
    config = back.apply()
    assert config.neurons.adaptation_enable.all() and config.neurons.exponential_enable.all()
    assert (config.neurons.adaptation_i_bias_tau == 21).all()
    config.validate()


def test_targets_without_adex_keep_their_key():
    """Files saved before the AdEx targets existed keep their calibration ids."""
    import hashlib
    old_form = {k: v for k, v in CalibrationTargets().to_dict().items()
                if k not in ("tau_w_us", "adaptation_a", "adaptation_b", "v_exp_onset")}
    text = json.dumps(old_form, sort_keys=True, separators=(",", ":"))
    assert CalibrationTargets().key() == hashlib.sha256(text.encode()).hexdigest()


def test_refuses_another_chips_file(tmp_path):
    path = make_result("emulator:42").save(tmp_path / "c.bss2cal")
    with pytest.raises(ChipMismatchError, match="belongs to chip 'emulator:42', not 'emulator:7'"):
        CalibrationResult.load(path, chip_identity="emulator:7")


@pytest.mark.parametrize("keep", [5, 30, 0.5, -1])
def test_refuses_truncated_file(tmp_path, keep):
    path = make_result().save(tmp_path / "c.bss2cal")
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (keep if keep > 0 else len(data) - 1)
    path.write_bytes(data[:cut])
    with pytest.raises(CalibrationFileError, match="truncated|wrong magic"):
        CalibrationResult.load(path)


def test_refuses_corrupt_payload(tmp_path):
    path = make_result().save(tmp_path / "c.bss2cal")
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CalibrationFileError, match="checksum mismatch"):
        CalibrationResult.load(path)


def test_refuses_newer_format(tmp_path):
    path = make_result().save(tmp_path / "c.bss2cal")
    header, payload = read_raw(path)
    header["format_version"] = FORMAT_VERSION + 1
    write_raw(path, header, payload)
    with pytest.raises(CalibrationFileError, match="newer than this bss2-suite reads.*update bss2-suite"):
        CalibrationResult.load(path)


@pytest.mark.parametrize("where", ["header", "metadata"])
def test_refuses_unknown_keys(tmp_path, where):
    path = make_result().save(tmp_path / "c.bss2cal")
    header, payload = read_raw(path)
    (header if where == "header" else header["metadata"])["surprise"] = 1
    write_raw(path, header, payload)
    with pytest.raises(CalibrationFileError, match="unknown.*surprise"):
        CalibrationResult.load(path)


def test_refuses_unknown_array(tmp_path):
    path = make_result().save(tmp_path / "c.bss2cal")
    header, payload = read_raw(path)
    from hashlib import sha256
    with np.load(io.BytesIO(payload)) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["dac/made_up_field"] = np.zeros(512, int)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    header.update(payload_bytes=len(payload), payload_sha256=sha256(payload).hexdigest())
    write_raw(path, header, payload)
    with pytest.raises(CalibrationFileError, match="unknown array key 'dac/made_up_field'"):
        CalibrationResult.load(path)


def test_refuses_tampered_values(tmp_path):
    """Consistent checksum but values that do not match the stored calibration id."""
    result = make_result()
    path = result.save(tmp_path / "c.bss2cal")
    header, _ = read_raw(path)
    header["metadata"]["calibration_id"] = "0" * 16
    write_raw(path, header, read_raw(path)[1])
    with pytest.raises(CalibrationFileError, match="calibration id does not match"):
        CalibrationResult.load(path)


def test_refuses_other_files(tmp_path):
    path = tmp_path / "x.bss2cal"
    path.write_text("hello")
    with pytest.raises(CalibrationError, match="wrong magic"):
        CalibrationResult.load(path)
    with pytest.raises(CalibrationError, match="cannot read"):
        CalibrationResult.load(tmp_path / "missing.bss2cal")


def test_cache_key_depends_on_chip_and_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("BSS2_CALIB_CACHE", str(tmp_path / "cache"))
    assert default_cache_dir() == tmp_path / "cache"
    a = cache_path("emulator:1", CalibrationTargets())
    assert a.parent == tmp_path / "cache"
    assert a == cache_path("emulator:1", CalibrationTargets())
    assert a != cache_path("emulator:2", CalibrationTargets())
    assert a != cache_path("emulator:1", CalibrationTargets(tau_m_us=12.0))
    assert cache_path("emulator:1", CalibrationTargets(), tmp_path / "x").parent == tmp_path / "x"


def test_cache_key_depends_on_suite_version(tmp_path, monkeypatch):
    before = cache_path("emulator:1", CalibrationTargets(), tmp_path)
    monkeypatch.setattr("calibration.cache.suite_version", lambda: "99.0.0")
    assert cache_path("emulator:1", CalibrationTargets(), tmp_path) != before
