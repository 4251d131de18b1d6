"""``bss2 lui``: the Lu.i teaching board (schematic export, simulated probe, demos, monitor).

Heavy modules (SKiDL, matplotlib, the circuit model) are imported inside the handlers so that
``bss2 --help`` stays fast.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEMO_NAMES = ("single-neuron", "synfire-chain", "jeffress", "ring-attractor")
EXAMPLES = """examples:
  bss2 lui export --netlist lui.net --drawing lui.svg   KiCad netlist + drawing of the board
  bss2 lui simulate                                     simulated probe; prints the port to use
  bss2 lui demo jeffress                                sound localisation on simulated boards
  bss2 lui demo single-neuron --port /dev/ttyACM0       the same protocol on a real probe
  bss2 lui monitor /dev/pts/5 --duration 10             live membrane plot of a probe
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lui`` and its sub-subcommands to the ``bss2`` parser."""
    lui = subparsers.add_parser("lui", help="Lu.i teaching board: schematic, simulator, demos, monitor",
                                description="Lu.i one-neuron teaching board (giant-axon/lu.i-neuron-pcb).",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    def usage(_args: argparse.Namespace) -> int:
        lui.print_help()
        return 2
    lui.set_defaults(func=usage)
    sub = lui.add_subparsers(dest="lui_command", metavar="ACTION")

    export = sub.add_parser("export", help="write the board's KiCad netlist, drawing or SPICE deck")
    export.add_argument("--netlist", type=Path, help="KiCad netlist (.net) to write")
    export.add_argument("--drawing", type=Path, help="student drawing of the signal path (.svg or .png)")
    export.add_argument("--spice", type=Path, help="SPICE deck (.cir) with default knob settings")
    export.add_argument("--accessory", type=Path, help="KiCad netlist of the serial probe accessory")
    export.set_defaults(func=_export)

    sim = sub.add_parser("simulate", help="run a simulated probe + boards on a pseudo-terminal")
    sim.add_argument("--network", choices=DEMO_NAMES, default="single-neuron",
                     help="which boards sit behind the probe (default: one board)")
    sim.add_argument("--speed", type=float, default=1.0, help="probe clock / wall clock (default 1)")
    sim.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    sim.set_defaults(func=_simulate)

    demo = sub.add_parser("demo", help="classroom demo with a plot, on simulated or real boards")
    demo.add_argument("name", choices=DEMO_NAMES)
    demo.add_argument("--port", help="serial port of a real probe (default: simulated boards)")
    demo.add_argument("--out", type=Path, help="run folder (default runs/lui/<demo>-<time>)")
    demo.add_argument("--speed", type=float, default=4.0, help="simulator speed-up (default 4)")
    demo.set_defaults(func=_demo)

    mon = sub.add_parser("monitor", help="live plot of membrane and spikes from a probe")
    mon.add_argument("port", help="serial port of the probe (or the path `bss2 lui simulate` printed)")
    mon.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    mon.add_argument("--rate", type=int, default=500, help="membrane sample rate in Hz (default 500)")
    mon.add_argument("--out", type=Path, help="run folder for the final PNG (default runs/lui/monitor-<time>)")
    mon.set_defaults(func=_monitor)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _export(args: argparse.Namespace) -> int:
    if not (args.netlist or args.drawing or args.spice or args.accessory):
        print("error: nothing to export; give --netlist, --drawing, --spice and/or --accessory",
              file=sys.stderr)
        return 2
    from lui_board.errors import LuiError
    try:
        if args.netlist:
            from lui_board.schematic import export_kicad_netlist
            print(f"KiCad netlist: {export_kicad_netlist(args.netlist)}")
        if args.drawing:
            from lui_board.drawing import draw_signal_path
            print(f"drawing: {draw_signal_path(args.drawing)}")
        if args.spice:
            from lui_board.parameters import BoardSettings
            from lui_board.spice import board_deck
            args.spice.parent.mkdir(parents=True, exist_ok=True)
            args.spice.write_text(board_deck(BoardSettings(), [[(0.1, 0.015)], [], []], 1.0))
            print(f"SPICE deck: {args.spice}")
        if args.accessory:
            from lui_board.accessory import build_accessory
            from lui_board.schematic import export_kicad_netlist
            print(f"accessory netlist: {export_kicad_netlist(args.accessory, build_accessory())}")
    except (LuiError, OSError) as exc:
        return _fail(exc)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from lui_board.demos import demo_module
    from lui_board.simulator import PtySimulator
    network = demo_module(args.network).network()
    with PtySimulator(network, speed=args.speed) as sim:
        print(sim.port, flush=True)
        print(f"simulated probe with {len(network.boards)} board(s) ({args.network}); wiring:\n"
              f"{network.wiring_text()}\nconnect with LuiLink({sim.port!r}); Ctrl-C to stop",
              file=sys.stderr, flush=True)
        t_end = None if args.duration is None else time.monotonic() + args.duration
        try:
            while t_end is None or time.monotonic() < t_end:
                time.sleep(0.05)
        except KeyboardInterrupt:
            pass
    return 0


def _demo(args: argparse.Namespace) -> int:
    from lui_board.demos import demo_module, run_demo
    from lui_board.errors import LuiError
    if args.port:
        print(f"wire the boards like this (probe outputs/inputs as in the accessory schematic):\n"
              f"{demo_module(args.name).network().wiring_text()}", file=sys.stderr)
    try:
        folder, summary = run_demo(args.name, args.port, args.out, args.speed)
    except LuiError as exc:
        return _fail(exc)
    for key, value in summary.items():
        print(f"{key}: {value}")
    print(f"results: {folder}")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from lui_board.demos import run_folder
    from lui_board.errors import LuiError
    from lui_board.monitor import monitor
    folder = run_folder(args.out, "monitor")
    try:
        rec = monitor(args.port, args.duration, folder / "monitor.png", args.rate)
    except LuiError as exc:
        return _fail(exc)
    n_samples = sum(len(t) for t, _ in rec.membrane.values())
    print(f"samples: {n_samples}, spikes: {rec.spike_times_s(0).size}, lost frames: {rec.lost_frames}")
    print(f"results: {folder}")
    return 0
