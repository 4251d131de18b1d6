"""``bss2 energy``: energy per inference and latency, measured with lab instruments.

Runs the protocol of :mod:`bss2_experiments.energy` with a DC power analyser (or the
board's power monitors) and an optional oscilloscope, saves JSON + NPZ + PNG under
``OUT/energy/<time>``, and continues an interrupted run with ``--resume``.
"""
from __future__ import annotations

import argparse
import sys

EXAMPLES = """examples:
  bss2 energy --experiment ttfs --simulated --json
      whole run on the bundled pyvisa-sim bench (instruments fed by the energy model); the
      TTFS network is trained briefly first (analytic, ~10 s)
  bss2 energy --experiment ttfs --weights runs/ttfs/<stamp>/ttfs.npz --simulated
      the network of a 'bss2 run ttfs' result
  bss2 energy --experiment reference --simulated
      the 256-246-10 random-weight network that anchors the energy model (8.4 uJ, 48 us)
  bss2 energy --experiment ttfs --power-resource TCPIP::analyser.lab::INSTR \\
              --scope-resource USB0::0x2A8D::0x1766::MY12345678::INSTR --n-inferences 10000
      bench run with a Keysight N6705 power analyser and an InfiniiVision scope
  bss2 energy --power-resource board        the board's power monitors through the backend
  bss2 energy --power-resource ADDRESS --resume runs/energy/20260101-120000
      continue a run that stopped when an instrument failed
"""
EXIT_INTERRUPTED = 3


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "energy", help="measure energy per inference and latency with lab instruments",
        description="Idle baseline, then N inferences of an experiment: energy per inference = integral of "
                    "(P - P_idle) / N (J), total power (W), latency distribution from the scope (s). "
                    "Raw traces are saved with the result.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="ttfs",
                        help="inference workload: ttfs (the trained TTFS classifier) or reference (default: ttfs)")
    parser.add_argument("--weights", metavar="FILE",
                        help="ttfs: the ttfs.npz of a 'bss2 run ttfs' result (default: train a short network first)")
    parser.add_argument("--pretrain-epochs", type=int,
                        help="ttfs without --weights: analytic training epochs (default 60)")
    parser.add_argument("--power-resource", metavar="VISA_ADDRESS",
                        help="VISA address of the DC power analyser, or 'board' for the board's power monitors "
                             "(default with --simulated: the simulated analyser)")
    parser.add_argument("--scope-resource", metavar="VISA_ADDRESS",
                        help="VISA address of the oscilloscope (default with --simulated: the simulated scope)")
    parser.add_argument("--n-inferences", type=int, default=1000, help="inferences to measure (default 1000)")
    parser.add_argument("--latency-samples", type=int, default=50, help="scope delay readings (default 50)")
    parser.add_argument("--simulated", action="store_true",
                        help="use the bundled pyvisa-sim definitions; the energy model feeds the instruments")
    parser.add_argument("--visa-library", default=None,
                        help="pyvisa library, e.g. '@py' or 'my_bench.yaml@sim' (default: pyvisa's; with "
                             "--simulated: the bundled definitions)")
    parser.add_argument("--timeout-s", type=float, default=5.0, help="instrument I/O timeout in s (default 5)")
    parser.add_argument("--supply-volt", type=float, help="set the analyser's output to this voltage (V) first")
    parser.add_argument("--current-limit-amp", type=float, help="set the analyser's current limit (A) first")
    parser.add_argument("--trigger-source", choices=("BUS", "EXT"), default="BUS",
                        help="datalog trigger: BUS (software) or EXT (the FPGA's marker on the trigger input)")
    parser.add_argument("--sample-interval-s", type=float, default=20.48e-6, help="datalog interval (s)")
    parser.add_argument("--backend", choices=("emulator", "hardware"), default="emulator",
                        help="where the inferences run (default: emulator)")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, inputs and noise")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--resume", metavar="RUN_FOLDER",
                        help="continue an interrupted run; its experiment, chip, seed and protocol settings are kept")
    parser.add_argument("--out", default="runs", help="folder for results (default: runs/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..energy import MeasurementInterrupted, PartialMeasurement, ProtocolSettings
    from ..instruments.errors import InstrumentError
    from ..results import run_folder

    if args.backend == "hardware":
        print("bss2 energy: the 'hardware' backend needs a hardware adapter of the chip interface, which this suite "
              "does not have yet; use --backend emulator (instruments still measure for real)", file=sys.stderr)
        return 2
    if args.power_resource is None and not args.simulated:
        print("bss2 energy: give --power-resource VISA_ADDRESS (or 'board'), or --simulated", file=sys.stderr)
        return 2
    try:
        if args.resume:
            folder = Path(args.resume)
            settings = PartialMeasurement.load(folder).settings
        else:
            folder = None
            settings = ProtocolSettings(experiment=args.experiment, n_inferences=args.n_inferences,
                                        sample_interval_s=args.sample_interval_s, latency_samples=args.latency_samples,
                                        trigger_source=args.trigger_source, seed=args.seed, chip_id=args.chip_id,
                                        weights=args.weights, pretrain_epochs=args.pretrain_epochs)
            if settings.workload_options() and settings.experiment != "ttfs":
                raise ValueError("--weights and --pretrain-epochs belong to --experiment ttfs")
        bench = _open_bench(args, settings)
    except (InstrumentError, ValueError, FileNotFoundError) as err:
        print(f"bss2 energy: {err}", file=sys.stderr)
        return 2
    try:
        folder = folder or run_folder(args.out, "energy")
        return _measure_and_save(args, bench, settings, folder)
    except MeasurementInterrupted as stop:
        print(f"bss2 energy: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ValueError as err:
        print(f"bss2 energy: {err}", file=sys.stderr)
        return 2
    finally:
        for instrument in (bench["analyser"], bench["scope"]):
            if instrument is not None:
                instrument.close()


def _open_bench(args, settings) -> dict:
    """Workload (as ``settings`` say), power meter, scope and feeds (as the arguments say)."""
    import pyvisa

    from emulator.chip import Emulator

    from ..energy_workloads import make_workload
    from ..instruments import Oscilloscope, PowerAnalyser
    from ..instruments.board_monitors import open_board_monitors
    from ..instruments.simulation import (SIM_OSCILLOSCOPE, SIM_POWER_ANALYSER, SimulatedBench,
                                          simulated_resource_manager)

    options = settings.workload_options()
    if settings.experiment == "ttfs":   # a progress bar while a network is trained
        options["progress"] = sys.stderr.isatty()
    workload = make_workload(settings.experiment, Emulator(chip_id=settings.chip_id), seed=settings.seed, **options)
    power_address = args.power_resource or SIM_POWER_ANALYSER
    scope_address = args.scope_resource or (SIM_OSCILLOSCOPE if args.simulated else None)
    rm = None
    if args.simulated:
        rm = simulated_resource_manager(args.visa_library.removesuffix("@sim") if args.visa_library else None)
    elif power_address != "board" or scope_address:
        try:
            rm = pyvisa.ResourceManager(args.visa_library or "")
        except (ValueError, OSError) as err:
            raise ValueError(f"no usable VISA library ({err}): install pyvisa-py (pip install pyvisa-py) or a vendor "
                             f"VISA (NI-VISA, Keysight IO Libraries), pass --visa-library, or use --simulated") from err
    analyser = None if power_address == "board" else PowerAnalyser(power_address, rm, args.timeout_s)
    scope = Oscilloscope(scope_address, rm, args.timeout_s) if scope_address else None
    if analyser is not None and args.supply_volt is not None:
        analyser.set_voltage(args.supply_volt)
    if analyser is not None and args.current_limit_amp is not None:
        analyser.set_current_limit(args.current_limit_amp)
    if analyser is not None and (args.supply_volt is not None or args.current_limit_amp is not None):
        analyser.set_output(True)
    meter = analyser if analyser is not None else open_board_monitors(args.backend)
    feeds = [] if analyser is not None else [meter]
    if args.simulated:
        feeds.append(SimulatedBench(analyser, scope))
    return {"workload": workload, "meter": meter, "analyser": analyser, "scope": scope, "feeds": feeds}


def _measure_and_save(args, bench: dict, settings, folder) -> int:
    import dataclasses
    import json

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..energy import PARTIAL_NAME, measure, plot
    from ..results import Provenance, save_result

    from tqdm import tqdm

    workload, meter, scope = bench["workload"], bench["meter"], bench["scope"]
    bars: dict = {}

    def progress(done: int, total: int, what: str) -> None:
        bar = bars.setdefault(what, tqdm(total=total, desc=what, file=sys.stderr, disable=None, leave=False))
        bar.update(done - bar.n)

    print(f"bss2 energy: {workload.name} on {workload.chip.identity}, power from {meter.name}"
          f"{', latency from ' + scope.name if scope else ''}; run folder {folder}", file=sys.stderr)
    try:
        measurement = measure(workload, meter, folder, settings, scope=scope, feeds=bench["feeds"], progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    summary = measurement.summary()
    summary.update({"experiment": settings.experiment, "settings": dataclasses.asdict(settings),
                    "simulated": bool(args.simulated), "power_meter": meter.name,
                    "power_meter_identity": str(getattr(meter, "identity", "")) or None,
                    "scope": scope.name if scope else None, "scope_identity": str(scope.identity) if scope else None,
                    "workload": getattr(workload, "info", None)})
    fig = plot(measurement, f"{settings.experiment}: {measurement.energy_per_inference_joule * 1e6:.3f} uJ above idle, "
                            f"{measurement.energy_total_per_inference_joule * 1e6:.2f} uJ total per inference")
    paths = save_result(folder, "energy", Provenance(backend=args.backend, chip_id=workload.chip.identity,
                                                     seed=settings.seed), summary, measurement.arrays(), fig)
    plt.close(fig)
    for suffix in ("json", "npz"):
        (folder / f"{PARTIAL_NAME}.{suffix}").unlink(missing_ok=True)
    latency = measurement.latency_seconds
    print(f"idle {measurement.power_idle_watt * 1e3:.2f} mW, during inference {measurement.power_total_watt * 1e3:.2f} mW; "
          f"energy per inference {measurement.energy_per_inference_joule * 1e6:.4f} uJ above idle, "
          f"{measurement.energy_total_per_inference_joule * 1e6:.3f} uJ total; "
          f"latency {'n/a' if latency is None else f'{latency * 1e6:.2f} us (median)'}"
          + ("" if summary["accuracy"] is None else f"; accuracy {100 * summary['accuracy']:.1f} %"))
    print(f"saved {', '.join(str(p) for p in paths.values())}")
    if args.json:
        print(json.dumps({key: summary[key] for key in (
            "energy_per_inference_joule", "latency_seconds", "power_idle_watt", "energy_total_per_inference_joule",
            "power_total_watt", "hardware_time_per_inference_seconds", "accuracy")} | {"result": str(paths["json"])}))
    return 0
