"""``bss2 demo``: drive one emulated neuron with a Poisson input, print and plot its spikes."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="drive one emulated neuron and print/plot its spikes",
        description="Drive neuron 0 of an emulated chip with a 500 kHz (hardware) Poisson input "
                    "for 100 us hardware (100 ms biological); print its spike times, save the "
                    "membrane trace (MADC) as PNG, JSON and NPZ.")
    parser.add_argument("--chip-id", type=int, default=0, help="emulated chip (its fixed-pattern noise)")
    parser.add_argument("--ideal", action="store_true", help="no fixed-pattern or temporal noise")
    parser.add_argument("--seed", type=int, default=1, help="seed of the input and of the temporal noise")
    parser.add_argument("--out", default="runs", help="folder for results (default: runs/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from emulator.chip import Emulator
    from emulator.interface import ChipConfiguration, EventRouting, RowMode, Stimulus

    from ..energy_model import record_run
    from ..results import Provenance, run_folder, save_result

    cfg = ChipConfiguration()
    n = cfg.neurons
    n.leak_v_leak[0], n.threshold_v_threshold[0], n.reset_v_reset[0] = 214, 322, 190
    n.threshold_enable[0] = n.excitatory_input_enable[0] = True
    cfg.synapses.weights[0, 0, 0] = 63
    cfg.synapses.row_modes[0, 0] = RowMode.EXCITATORY
    cfg.routing = EventRouting.from_entries([(1, 0, 0, 0)])
    cfg.readout.madc_neurons = (0,)
    duration_us = 100.0
    rng = np.random.default_rng(args.seed)
    times = np.sort(rng.uniform(0, duration_us, rng.poisson(0.5 * duration_us)))
    chip = Emulator(chip_id=args.chip_id, ideal=args.ideal)
    stimulus = Stimulus.single(times, 1)
    result = chip.run(cfg, stimulus, duration_us, seed=args.seed)
    record_run(result, cfg, stimulus, chip.identity)   # the saved result's energy block
    spikes = result.spikes.times_of(0)
    print(f"{chip!r}: {times.size} input events, neuron 0 fired {spikes.size} times")
    print("spike times (hardware us):", " ".join(f"{t:.3f}" for t in spikes))

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(result.madc.time_us, result.madc.samples[0, 0], lw=0.8, label="membrane (MADC)")
    ax.vlines(times, 0, 40, color="tab:gray", lw=0.6, label="input events")
    ax.vlines(spikes, 0, 80, color="tab:red", lw=1.2, label="output spikes")
    ax.set_xlabel("time (hardware us)")
    ax.set_ylabel("MADC LSB")
    ax.legend(loc="upper right", fontsize=8)
    folder = run_folder(args.out, "demo")
    paths = save_result(
        folder, "demo", Provenance(backend="emulator", chip_id=chip.identity, seed=result.seed),
        {"input_events": int(times.size), "output_spikes": int(spikes.size), "duration_us": duration_us},
        {"input_times_us": times, "spike_times_us": spikes, "madc_time_us": result.madc.time_us,
         "madc_samples": result.madc.samples[0, 0]}, fig)
    plt.close(fig)
    print(f"saved {', '.join(str(p) for p in paths.values())}")
    return 0
