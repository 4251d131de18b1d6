"""The whole neuron calibration, in calix' order.

Order as in calix (Electronic Visions, github electronicvisions/calix,
``spiking/neuron.py`` ``calibrate`` and ``spiking/__init__.py``): CADC channel offsets;
synaptic time constants; synaptic input strength; COBA reversal potentials (only with
COBA targets); threshold; leak potential; membrane
time constant; reset potential; refractory time; a final refinement of the potentials;
then the gain of the constant-current source is characterised; with AdEx targets the
adaptation and the exponential term follow (they need every other value final); and the
achieved values and spreads are measured.
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from tqdm import tqdm

from emulator.interface import Chip, ChipConfiguration

from . import adaptation, cadc, coba, exponential, offset_current, refractory, synaptic_strength, synaptic_time_constant
from .base import CalibrationState
from .final import measure_final
from .leak import LeakPotentialCalibration
from .measure import Probe, measure_potential_line
from .membrane_time_constant import MembraneTimeConstantCalibration
from .refine import refine
from .reset import ResetPotentialCalibration
from .result import CalibrationResult
from .targets import CalibrationTargets
from .threshold import ThresholdCalibration


def suite_version() -> str:
    """Installed bss2-suite version (read from package metadata: calibration sits below
    ``bss2_experiments`` and must not import it)."""
    try:
        return version("bss2-suite")
    except PackageNotFoundError:
        return "0+unknown"


def _steps(probe: Probe, state: CalibrationState):
    def line() -> None:
        state.line = measure_potential_line(probe, state.config)

    return [
        ("CADC channel offsets", lambda: cadc.calibrate(probe, state)),
        ("leak DAC -> CADC line", line),
        ("synaptic time constants", lambda: synaptic_time_constant.calibrate(probe, state)),
        ("synaptic strength", lambda: synaptic_strength.calibrate(probe, state)),
        ("COBA reversal potentials", lambda: coba.calibrate(probe, state)),
        ("threshold", lambda: ThresholdCalibration().calibrate(probe, state)),
        ("leak potential", lambda: LeakPotentialCalibration().calibrate(probe, state)),
        ("membrane time constant", lambda: MembraneTimeConstantCalibration().calibrate(probe, state)),
        ("reset potential", lambda: ResetPotentialCalibration().calibrate(probe, state)),
        ("refractory time", lambda: refractory.calibrate(state)),
        ("refine potentials", lambda: refine(probe, state)),
        ("offset current gain", lambda: offset_current.characterise(probe, state)),
        ("adaptation", lambda: adaptation.calibrate(probe, state)),
        ("exponential term", lambda: exponential.calibrate(probe, state)),
    ]


def calibrate(chip: Chip, targets: CalibrationTargets | None = None, progress: bool = True,
              seed: int = 0) -> CalibrationResult:
    """Calibrate all 512 neurons of ``chip`` to ``targets`` (default: calix' defaults).

    Talks to the chip only through ``chip.run``. ``progress`` shows a tqdm bar on stderr;
    ``seed`` fixes the temporal noise of every run and the start jitter of the searches,
    so a calibration of a given chip is reproducible.
    """
    targets = (targets if targets is not None else CalibrationTargets()).validate()
    start = time.perf_counter()
    state = CalibrationState(ChipConfiguration(), targets)
    probe = Probe(chip, seed=seed)
    steps = _steps(probe, state)
    with tqdm(total=len(steps) + 1, desc="calibrating", unit="step", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        for label, step in steps:
            bar.set_postfix_str(label)
            step()
            bar.update()
        bar.set_postfix_str("final measurements")
        before = {**state.before, **measure_final(probe, state)}
        bar.update()
    return CalibrationResult(
        chip_identity=chip.identity, targets=targets,
        dac={name: values.astype(np.int32) for name, values in state.dac.items()}, achieved=dict(state.achieved),
        success=dict(state.success), before=before,
        cadc_channel_offset=state.config.readout.cadc_channel_offset.copy(),
        synapse_dac_bias=np.asarray(state.config.synapse_dac_bias, dtype=np.int32).copy(),
        suite_version=suite_version(), created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=time.perf_counter() - start, n_runs=probe.n_runs)
