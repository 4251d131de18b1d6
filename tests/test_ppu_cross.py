"""The firmware's C unit tests give identical output on the host and on 32-bit big-endian
PowerPC (qemu-ppc-static), and the host library (cffi, what the emulator runs) reproduces
them; every kernel image fits the PPU's SRAM; no floating point.

Without the cross tools these tests skip, saying what to install; with CI=true a missing
tool is a failure.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import ppu_firmware
from ppu_firmware.host import PPUState, encode_parameters, run_kernel
from ppu_firmware.registry import KERNELS

FIRMWARE = Path(ppu_firmware.__file__).resolve().parent
SRAM_FOR_CODE = 16 * 1024 - 4096
INSTALL_HINT = "apt-get install gcc-powerpc-linux-gnu qemu-user-static"


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        message = f"missing {', '.join(missing)}: install with `{INSTALL_HINT}` (and gcc, make)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)


def make(build: Path, target: str) -> str:
    result = subprocess.run(["make", "-s", "-C", str(FIRMWARE), f"BUILD={build}", target],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_host_and_powerpc_unit_tests_print_the_same(tmp_path: Path) -> None:
    require("make", "gcc", "powerpc-linux-gnu-gcc", "qemu-ppc-static")
    host = make(tmp_path, "host-tests")
    ppc = make(tmp_path, "ppc-tests")
    assert host.splitlines() == ppc.splitlines()
    lines = dict(line.split(": ", 1) for line in host.splitlines())
    assert lines["fxv8_add_sat(100,100)"] == "127" and lines["fxv8_add_mod(100,100)"] == "-56"
    assert lines["fxv8_mul_sat(-128,-128)"] == "127" and lines["fxv8_mul_sat(-65,1)"] == "-1"
    assert lines["fxv16_shr(-3,1)"] == "-2" and lines["fxs_shr(-5,1)"] == "-3"
    assert lines["mailbox_u32"] == "12345678" and lines["mailbox_i16(fffe)"] == "-2"
    assert lines["spikes"] == "count=254 dropped=46 first=16383 last=253"
    assert lines["xorshift32(1)"] == "270369 67634689 2647435461"
    assert lines["time_now after 4 draws"] == "+24 cycles"
    kernel_lines = [k for k in lines if re.fullmatch(r"\w+\[\d\]", k)]
    assert len(kernel_lines) == 16 and all("cycles=" in lines[k] for k in kernel_lines)


def test_kernel_images_fit_in_sram_next_to_the_mailbox(tmp_path: Path) -> None:
    require("make", "powerpc-linux-gnu-gcc", "powerpc-linux-gnu-size")
    table = make(tmp_path, "size")
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    sizes = {r[0].strip(): (int(r[5]), int(r[6])) for r in rows}
    assert sorted(sizes) == sorted(KERNELS)
    for kernel, (image, frame) in sizes.items():
        assert 1000 < image and image + frame <= SRAM_FOR_CODE, (kernel, image, frame)


def test_firmware_uses_no_floating_point(tmp_path: Path) -> None:
    for source in [*FIRMWARE.glob("hal/*.[ch]"), *FIRMWARE.glob("kernels/*.[ch]"), *FIRMWARE.glob("include/ppu/*.h")]:
        code = re.sub(r"/\*.*?\*/", "", source.read_text(), flags=re.DOTALL)
        assert not re.search(r"\b(float|double)\b|\d\.\d", code), source
    require("make", "powerpc-linux-gnu-gcc", "powerpc-linux-gnu-nm")
    make(tmp_path, "ppc")
    objects = sorted(str(p) for p in (tmp_path / "ppc").rglob("*.o"))
    undefined = subprocess.run(["powerpc-linux-gnu-nm", "-u", *objects], capture_output=True, text=True).stdout
    soft_float = re.findall(r"__\w*(?:sf|df)\w*", undefined)
    assert not soft_float, f"soft-float helpers needed: {soft_float}"


# ---- replay of tests_c/firmware_tests.c through the host library ----

ROW_PATTERN = np.unpackbits(  # select_rows(): byte i of the mask is 0x5A if i % 3 == 0 else 0xFF
    np.array([0x5A if i % 3 == 0 else 0xFF for i in range(32)], np.uint8), bitorder="little").astype(bool)


class Lcg:
    """x <- 1664525 x + 1013904223 mod 2^32, the top byte of each state (as firmware_tests.c)."""

    def __init__(self, seed: int = 12345) -> None:
        self.x = seed

    def fill(self, n: int, modulus: int) -> np.ndarray:
        a, c = np.uint64(1664525), np.uint64(1013904223)
        powers = np.multiply.accumulate(np.full(n, a, dtype=np.uint64))  # a^k mod 2^64, k = 1..n
        geometric = np.cumsum(np.concatenate([[np.uint64(1)], powers[:-1]]), dtype=np.uint64)
        x = (powers * np.uint64(self.x) + c * geometric) & np.uint64(0xFFFFFFFF)
        self.x = int(x[-1])
        return ((x >> np.uint64(24)) % np.uint64(modulus)).astype(np.uint8)


def fnv1a(data: np.ndarray) -> int:
    h = 2166136261
    for byte in data.reshape(-1).tobytes():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def replay() -> list[str]:
    lcg = Lcg()
    lines = []

    def new_state(kernel: str, params: dict, offsets: int) -> PPUState:
        state = PPUState(weights=lcg.fill(65536, 64).reshape(256, 256), labels=lcg.fill(65536, 64).reshape(256, 256),
                         rng_state=2463534242)
        if offsets:
            offset = lcg.fill(offsets, 30)
            params = {**params, "causal_offset": offset[:256]}
            if offsets > 256:
                params["acausal_offset"] = offset[256:]
        state.mailbox[:] = encode_parameters(kernel, {**params, "rows": ROW_PATTERN, "reset": 1})
        return state

    def run(kernel: str, state: PPUState, calls: int) -> None:
        for call in range(calls):
            state.causal[:] = lcg.fill(65536, 256).reshape(256, 256)
            state.acausal[:] = lcg.fill(65536, 256).reshape(256, 256)
            state.rate_counters[:] = lcg.fill(256, 40)
            state.cadc[:] = lcg.fill(256, 256)
            cycles = run_kernel(kernel, state)
            lines.append(f"{kernel}[{call}]: cycles={cycles} weights={fnv1a(state.weights):08x} "
                         f"labels={fnv1a(state.labels):08x} mailbox={fnv1a(state.mailbox):08x} "
                         f"rates={fnv1a(state.rate_counters):08x} reset={fnv1a(state.corr_reset):08x} "
                         f"rng={state.rng_state:08x}")

    run("stdp", new_state("stdp", {"factor": 0x50}, 512), 3)
    expected = np.zeros(64, int)
    expected[5] = -3000
    run("rstdp", new_state("rstdp", {"eta": 4096, "reward": 11469, "state": 5, "mean_shift": 1,
                                     "expected_reward": expected}, 256), 3)
    run("homeostasis", new_state("homeostasis", {"target": 20, "step": 3}, 0), 3)
    run("structural", new_state("structural", {
        "factor": 0x20, "target": 20, "step": 1, "noise": 3, "prune_threshold": 20, "prune_period": 2,
        "label_count": 48, "initial_weight": 25}, 512), 4)
    run("cgp", new_state("cgp", {"nodes": [("sub", 0, 1), ("mul", 6, 3), ("shr", 7, 1), ("const", 1, 0),
                                           ("max", 8, 9)], "reward": -384, "constants": [0, -40, 0, 0]}, 0), 3)
    return lines


def test_host_library_reproduces_the_firmware_unit_tests(tmp_path: Path) -> None:
    """The C test's data and parameters through encode_parameters and run_kernel: equal lines
    mean the Python mailbox encoding matches the C test's byte writes and the library computes
    what the PowerPC build computes."""
    require("make", "gcc")
    printed = [line for line in make(tmp_path, "host-tests").splitlines() if "cycles=" in line]
    assert replay() == printed
