"""``bss2 lui`` subcommands."""
import os
import subprocess
import sys

import pytest

from bss2_experiments.cli import main
from lui_board import LuiLink


def test_export_writes_netlists_drawing_and_deck(tmp_path, capsys):
    paths = {k: tmp_path / n for k, n in (("netlist", "lui.net"), ("drawing", "lui.svg"),
                                           ("spice", "lui.cir"), ("accessory", "probe.net"))}
    assert main(["lui", "export", *(x for k, p in paths.items() for x in (f"--{k}", str(p)))]) == 0
    assert paths["netlist"].read_text().lstrip().startswith("(export")
    assert "<svg" in paths["drawing"].read_text()[:500]
    assert ".tran" in paths["spice"].read_text()
    assert '(ref "U1")' in paths["accessory"].read_text()
    assert main(["lui", "export"]) == 2


def test_export_png_drawing(tmp_path):
    assert main(["lui", "export", "--drawing", str(tmp_path / "lui.png")]) == 0
    assert (tmp_path / "lui.png").read_bytes()[:4] == b"\x89PNG"


def test_simulate_prints_a_port_a_client_can_use():
    proc = subprocess.Popen([sys.executable, "-m", "bss2_experiments.cli", "lui", "simulate", "--duration", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/")
        with LuiLink(port, timeout_s=5) as link:
            assert link.identify().name == "lui-probe-sim"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_monitor_saves_a_plot(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from lui_board.network import single_board_network
    from lui_board.simulator import PtySimulator
    with PtySimulator(single_board_network(), speed=2.0) as sim:
        assert main(["lui", "monitor", sim.port, "--duration", "1.0", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    n_samples = int(out.split("samples: ")[1].split(",")[0])
    assert n_samples > 50                        # however busy the machine, data arrived
    assert "lost frames: 0" in out
    assert (tmp_path / "monitor.png").stat().st_size > 5_000


def test_monitor_streams_at_the_requested_rate(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import numpy as np
    from lui_board.monitor import monitor
    from lui_board.network import single_board_network
    from lui_board.simulator import PtySimulator
    with PtySimulator(single_board_network(), speed=2.0) as sim:
        rec = monitor(sim.port, 0.8, tmp_path / "m.png", rate_hz=250)
    t_s, v_volt = rec.membrane[0]
    assert np.allclose(np.diff(t_s), 4e-3)           # 250 Hz on the probe clock, no gaps
    assert np.ptp(v_volt[t_s > 0.5]) < 0.01          # an idle board at rest (see test_lui_model)


@pytest.mark.parametrize("args", [["demo", "single-neuron", "--port", "/dev/ttyLUI_missing"],
                                  ["monitor", "/dev/ttyLUI_missing", "--duration", "1"]])
def test_missing_port_gives_a_clear_error(args, tmp_path, capsys):
    assert main(["lui", *args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "/dev/ttyLUI_missing" in err and "bss2 lui simulate" in err


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from bss2_experiments.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('matplotlib', 'skidl', 'lui_board', 'serial', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}).stdout
    assert "skidl" not in out and "matplotlib" not in out and "lui_board" not in out
