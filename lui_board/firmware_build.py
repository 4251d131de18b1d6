"""Build the probe firmware core (``lui_board/firmware``) for the host with gcc, for tests and
protocol cross-checks. The sources are portable C99; a microcontroller port supplies ``lui_hal.h``.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import LuiToolError

FIRMWARE_DIR = Path(__file__).with_name("firmware")
CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic")
TARGETS = {"test_lui_probe": ("test_lui_probe.c", "lui_probe.c", "lui_protocol.c"),
           "lui_vectors": ("lui_vectors.c", "lui_probe.c", "lui_protocol.c")}


def build_host(out_dir: Path, compiler: str = "gcc") -> dict[str, Path]:
    """Compile the host test program and the vector tool into ``out_dir``; return their paths."""
    cc = shutil.which(compiler)
    if cc is None:
        raise LuiToolError(f"{compiler} not found; fix: sudo apt-get install gcc")
    out_dir.mkdir(parents=True, exist_ok=True)
    built = {}
    for name, sources in TARGETS.items():
        exe = out_dir / name
        proc = subprocess.run([cc, *CFLAGS, "-o", str(exe), *(str(FIRMWARE_DIR / s) for s in sources)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise LuiToolError(f"building {name} failed:\n{proc.stderr}")
        built[name] = exe
    return built
