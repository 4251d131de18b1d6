"""The ``bss2`` entry point: version, help and the demo run with its saved result."""
from __future__ import annotations

import json

import numpy as np

from bss2_experiments import __version__
from bss2_experiments.cli import main


def test_version_and_help(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_demo_prints_spikes_and_saves_json_npz_png_with_provenance(tmp_path, capsys):
    assert main(["demo", "--ideal", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    fired = int(out.split("fired ")[1].split(" times")[0])
    assert fired >= 5
    folder = next((tmp_path / "demo").iterdir())
    document = json.loads((folder / "demo.json").read_text())
    assert document["provenance"]["backend"] == "emulator"
    assert document["provenance"]["chip_id"] == "emulator:ideal"
    assert document["summary"]["output_spikes"] == fired
    arrays = np.load(folder / "demo.npz")
    assert arrays["spike_times_us"].size == fired
    assert (folder / "demo.png").stat().st_size > 10_000
