"""Final measurements: achieved values, and the values at the median parameters ("before").

calix' hardware tests (Electronic Visions, github electronicvisions/calix,
``tests/hw/py/test_neuron_distribution.py``) compare the calibrated spread with the
"uncalibrated" one, where every neuron gets the median calibrated parameter, using
trimmed statistics. Both are measured here, with the same measurement the calibration
used (spreads: :func:`calibration.stats.spread`).
"""
from __future__ import annotations

import numpy as np

from .base import Calibration, CalibrationState
from .leak import LeakPotentialCalibration
from .measure import Probe
from .membrane_time_constant import MembraneTimeConstantCalibration
from .reset import ResetPotentialCalibration
from .synaptic_strength import SynapticStrengthCalibration
from .synaptic_time_constant import SynapticTimeConstantCalibration
from .threshold import ThresholdCalibration

REPORTED: tuple[tuple[type[Calibration], tuple[str, ...]], ...] = (
    (LeakPotentialCalibration, ("leak",)),
    (ResetPotentialCalibration, ("reset",)),
    (ThresholdCalibration, ("threshold",)),
    (MembraneTimeConstantCalibration, ("tau_m",)),
    (SynapticTimeConstantCalibration, ("tau_syn_exc", "tau_syn_inh")),
    (SynapticStrengthCalibration, ("syn_strength_exc", "syn_strength_inh")),
)
"""Calibrations whose spreads are reported, and the quantity names of their result rows."""


def measure_final(probe: Probe, state: CalibrationState) -> dict[str, np.ndarray]:
    """Measure every reported quantity as calibrated and at the median parameters.

    Updates ``state.achieved`` with the final measurements and clears the success flag of
    neurons whose final value is out of tolerance; returns the values measured at the
    median parameters ("before"), by quantity.
    """
    before: dict[str, np.ndarray] = {}
    for kind, names in REPORTED:
        calibration = kind()
        config = calibration.measurement_config(state)
        parameters = calibration.parameters_of(state.config)
        target = np.reshape(calibration.target(state), (len(names), -1))
        measured = np.reshape(calibration.measure_with(probe, config, parameters), (len(names), -1))
        median = np.reshape(calibration.measure_with(
            probe, config, calibration.uncalibrated(state.config, parameters)), (len(names), -1))
        ok = calibration.within_tolerance(measured, target)
        for i, name in enumerate(names):
            state.achieved[name] = measured[i]
            state.success[name] = state.success[name] & ok[i]
            before[name] = median[i]
    return before
