"""Final refinement of the potentials (threshold, reset, leak).

calix (Electronic Visions, github electronicvisions/calix, ``spiking/__init__.py``,
``refine_potentials``) calibrates the potentials once more at the end, with every other
parameter in its final state, to remove CapMem crosstalk. Here each potential is searched
again in a narrow window around its calibrated value.
"""
from __future__ import annotations

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC

from .base import CalibrationState, FieldCalibration
from .leak import LeakPotentialCalibration
from .measure import Probe
from .reset import ResetPotentialCalibration
from .threshold import ThresholdCalibration

HALF_WIDTH_DAC = 16


def refine(probe: Probe, state: CalibrationState) -> None:
    calibration: FieldCalibration
    for calibration in (ThresholdCalibration(), ResetPotentialCalibration(), LeakPotentialCalibration()):
        current = calibration.parameters_of(state.config)
        calibration.calibrate(probe, state, low=np.clip(current - HALF_WIDTH_DAC, 0, CAPMEM_MAX_DAC),
                              high=np.clip(current + HALF_WIDTH_DAC, 0, CAPMEM_MAX_DAC))
