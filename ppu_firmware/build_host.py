"""cffi build of the host library ``ppu_firmware._host`` (out-of-line API mode).

setup.py runs this at install time (``cffi_modules=["ppu_firmware/build_host.py:ffibuilder"]``):
the HAL and every kernel are compiled with the host C compiler into one extension module.
The integer ``#define``s of the kernel and HAL headers (mailbox offsets, CGP op codes,
spike-queue layout, cycle costs) are exported too, so Python can check its tables
against the C headers.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
_DEFINE = re.compile(r"^#define\s+([A-Z][A-Z0-9_]*)\s+(0x[0-9A-Fa-f]+|\d+)u?\b", re.MULTILINE)


def _relative(path: Path) -> str:
    """setuptools wants source paths relative to the project root (the working directory)."""
    return os.path.relpath(path, Path.cwd())


def firmware_sources() -> list[Path]:
    """The C files of the HAL and the kernels (not the C unit tests)."""
    return sorted(HERE.glob("hal/*.c")) + sorted(HERE.glob("kernels/*.c"))


def exported_constants() -> list[str]:
    """Names of the integer constants #defined in the HAL and kernel headers."""
    names: list[str] = []
    for header in sorted(HERE.glob("include/ppu/*.h")) + sorted(HERE.glob("kernels/*.h")):
        names += [m.group(1) for m in _DEFINE.finditer(header.read_text())]
    return names


CDEF = """
typedef struct ppu_state {
    uint8_t *weights;
    uint8_t *labels;
    uint8_t *causal;
    uint8_t *acausal;
    uint8_t *corr_reset;
    uint8_t *rate_counters;
    uint8_t *cadc;
    uint8_t *mailbox;
    uint64_t time_cycles;
    uint32_t rng_state;
} ppu_state_t;

int ppu_kernel_count(void);
const char *ppu_kernel_name(int id);
int ppu_kernel_id(const char *name);
int64_t ppu_run_kernel(ppu_state_t *state, int id);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF + "".join(f"#define {name} ...\n" for name in exported_constants()))
ffibuilder.set_source(
    "ppu_firmware._host",
    "\n".join(f'#include "{h.relative_to(HERE).as_posix()}"'
              for h in sorted(HERE.glob("include/ppu/*.h")) + sorted(HERE.glob("kernels/*.h"))),
    sources=[_relative(p) for p in firmware_sources()],
    include_dirs=[str(HERE / "include"), str(HERE)],
    # hidden visibility lets calls between HAL and kernels bind directly (no PLT), -O3
    # vectorises the 128-lane loops: ~3x faster than -O2 with default visibility
    extra_compile_args=["-std=c99", "-O3", "-fvisibility=hidden"],
)
