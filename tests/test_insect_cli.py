"""``bss2 run path-integration`` end to end, small: results saved with provenance, --json last line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bss2_experiments import cli


@pytest.mark.slow
def test_bss2_run_path_integration_saves_results_and_prints_json(tmp_path, capsys):
    code = cli.main(["run", "path-integration", "--journeys", "2", "--outbound-steps", "60", "--homing-steps", "60",
                     "--curve-journeys", "1", "--frame-block", "2", "--workers", "1", "--no-progress", "--out", str(tmp_path),
                     "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["journeys"] == 2 and 0.0 <= summary["success_rate"] <= 1.0
    assert summary["journeys_per_second"] > 0
    assert set(summary["closest_vs_outbound"]) == {"chip (spiking)", "rate model (NumPy)"}
    assert summary["closest_vs_outbound"]["chip (spiking)"]["outbound_steps"] == [60, 250, 500]
    folder = next((tmp_path / "insect").iterdir())
    saved = json.loads((folder / "insect.json").read_text())
    assert saved["provenance"]["backend"] == "emulator" and saved["provenance"]["seed"] == 0
    assert saved["summary"]["config"]["frame_block"] == 2
    arrays = np.load(folder / "insect.npz")
    assert arrays["positions"].shape[0] == 2 and arrays["closest_approach"].shape == (2,)
    assert (folder / "insect.png").stat().st_size > 10_000
