"""Wall time and spread ratios of the full 512-neuron calibration on three emulated chips.

Prints, per chip id, the seconds of ``calibration.calibrate`` (including the final
before/after measurements), the number of chip runs, calibrated / uncalibrated spread per
quantity against issue 4's limits, and the share of neurons reaching every target.
Run: ``python -m benchmarks.calibration [CHIP_ID ...]`` (default chip ids 0 1 2).
"""
from __future__ import annotations

import sys
import time

from calibration import calibrate
from emulator.chip import Emulator

LIMITS = {"leak": 0.15, "reset": 0.10, "threshold": 0.15, "tau_m": 0.20, "tau_syn_exc": 0.10, "tau_syn_inh": 0.10}
BUDGET_S = 60.0


def main(chip_ids: list[int]) -> int:
    worst = {name: 0.0 for name in LIMITS}
    print(f"{'chip':>6} {'seconds':>8} {'runs':>5} {'ok %':>6}  " + "  ".join(f"{n:>11}" for n in LIMITS))
    for chip_id in chip_ids:
        start = time.perf_counter()
        result = calibrate(Emulator(chip_id), progress=False)
        seconds = time.perf_counter() - start
        ratios = {n: result.std_after[n] / result.std_before[n] for n in LIMITS}
        for n, r in ratios.items():
            worst[n] = max(worst[n], r)
        ok = 100.0 * (1 - result.failed_neurons.size / 512)
        print(f"{chip_id:>6} {seconds:>8.1f} {result.n_runs:>5} {ok:>6.1f}  "
              + "  ".join(f"{ratios[n]:>11.3f}" for n in LIMITS))
    print(f"{'limit':>6} {BUDGET_S:>8.1f} {'':>5} {99.0:>6.1f}  " + "  ".join(f"{LIMITS[n]:>11.2f}" for n in LIMITS))
    failed = [n for n in LIMITS if worst[n] > LIMITS[n]]
    print("all ratios within the limits" if not failed else f"ratios above the limit: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [0, 1, 2]))
