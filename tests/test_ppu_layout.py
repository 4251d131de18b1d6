"""The Python tables agree with the C headers (through the constants cffi exports)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ppu_firmware import cgp, host
from ppu_firmware._host import lib  # built at install time (pip install -e .)
from ppu_firmware.host import KERNELS
from ppu_firmware.parameters import PARAMETER_BYTES

FIRMWARE = Path(host.__file__).resolve().parent


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_parameter_offsets_match_c_headers(kernel: str) -> None:
    spec = KERNELS[kernel]
    prefix = f"{kernel.upper()}_MB_"
    c_fields = {name[len(prefix):].lower(): getattr(lib, name) for name in dir(lib) if name.startswith(prefix)}
    assert c_fields == {p.name: p.offset for p in spec.parameters}


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_fields_do_not_overlap_and_stay_below_the_spike_queue(kernel: str) -> None:
    fields = sorted(KERNELS[kernel].parameters, key=lambda p: p.offset)
    for a, b in zip(fields, fields[1:]):
        assert a.offset + a.nbytes <= b.offset, (a.name, b.name)
    assert fields[-1].offset + fields[-1].nbytes <= PARAMETER_BYTES == lib.MAILBOX_PARAMETER_BYTES


def test_registry_names_the_kernels_of_the_c_table() -> None:
    ffi = host._load_library()[0]
    compiled = {ffi.string(lib.ppu_kernel_name(i)).decode() for i in range(lib.ppu_kernel_count())}
    assert compiled == set(KERNELS)
    assert all(lib.ppu_kernel_id(name.encode()) >= 0 for name in KERNELS)
    assert lib.ppu_kernel_id(b"no_such_kernel") == -1 and lib.ppu_kernel_name(lib.ppu_kernel_count()) == ffi.NULL


def test_cgp_encoding_matches_c() -> None:
    assert {name: getattr(lib, f"CGP_OP_{name.upper()}") for name in cgp.OPS} == cgp.OPS
    assert (lib.CGP_INPUTS, lib.CGP_MAX_NODES, lib.CGP_CONSTANTS) == (len(cgp.INPUTS), cgp.MAX_NODES,
                                                                      cgp.N_CONSTANTS)
    documented = re.findall(r"^ \*   (\d) (\w+) ", (FIRMWARE / "kernels/cgp.h").read_text(), re.MULTILINE)
    assert [(int(i), name) for i, name in documented[:6]] == list(enumerate(cgp.INPUTS))


def test_clock_and_spike_queue_constants() -> None:
    assert host.PPU_CYCLES_PER_US == lib.PPU_CYCLES_PER_US == 250
    assert (host.SPIKES_QUEUE_COUNT, host.SPIKES_QUEUE_DROPPED, host.SPIKES_QUEUE_LABELS) == (
        lib.SPIKES_QUEUE_COUNT, lib.SPIKES_QUEUE_DROPPED, lib.SPIKES_QUEUE_LABELS)
    assert lib.SPIKES_QUEUE_LABELS + 2 * lib.SPIKES_QUEUE_CAPACITY == 4096
    assert lib.RSTDP_STATES == KERNELS["rstdp"].parameter("expected_reward").count


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_readme_parameter_tables_match(kernel: str) -> None:
    readme = (FIRMWARE.parent / "README.md").read_text()
    section = readme.split(f"#### `{kernel}`", 1)[1].split("####", 1)[0]
    for p in KERNELS[kernel].parameters:
        row = f"| `{p.name}` | 0x{p.offset:03X} | {p.type_name} | {p.low}..{p.high} |"
        assert row in section, f"README.md lacks or misstates: {row}"
