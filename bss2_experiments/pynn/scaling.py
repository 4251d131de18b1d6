"""The documented linear scaling between PyNN's biological units and the chip's units.

One place for every conversion the backend makes between a PyNN script (biological mV,
ms, nA, nF) and the chip (CADC LSB, hardware us, integer weights, CapMem DAC):

* **Time**: biological ms <-> hardware us through :mod:`emulator.units` (1 ms = 1 us).
* **Voltage**: ``v_cadc = V_ANCHOR_CADC + CADC_PER_MV * (v_mV - V_ANCHOR_MV)``, i.e.
  -65 mV <-> 80 CADC LSB and 3 CADC LSB per biological mV, so PyNN's defaults
  (v_rest = v_reset = -65 mV, v_thresh = -50 mV) land on calix' defaults (80 / 125 LSB).
  The calibration ranges (leak and reset 50..160 LSB, threshold 50..220 LSB) thus allow
  -75 .. -38.3 mV for v_rest / v_reset and -75 .. -18.3 mV for v_thresh.
* **Currents**: a current ``I`` (nA) into ``cm`` (nF) moves the membrane at
  ``I / cm`` mV per ms; scaled, that is ``CADC_PER_MV * I / cm`` CADC LSB per hardware us.
  A PyNN weight (nA, the jump of the synaptic current) becomes an integer hardware weight
  by dividing this slope by the calibrated per-neuron synaptic strength
  (``CalibrationResult.achieved['syn_strength_exc'|'syn_strength_inh']``, CADC LSB per us
  per weight LSB), rounded to the nearest integer.
* **Conductances** (IF_cond_exp): a conductance ``g`` (uS) on ``cm`` (nF) pulls the
  membrane towards its reversal potential at the rate ``g / cm`` per ms, the same rate per
  hardware us after the time scaling (the driving force ``E - V`` scales with the
  potentials). A PyNN weight (uS) becomes an integer hardware weight by dividing this rate
  by the calibrated conductance per weight LSB
  (``CalibrationResult.achieved['coba_strength_exc'|'coba_strength_inh']``, 1 / us).
  Reversal potentials scale like every potential: PyNN's defaults e_rev_E = 0 mV and
  e_rev_I = -70 mV become 275 and 65 CADC LSB (the calibration allows 0..400 LSB, i.e.
  -91.7 .. 41.7 mV).
* **AdEx** (EIF_cond_exp_isfa_ista): ``a`` (nS) is a conductance, ``a / cm`` per ms ->
  per hardware us (:func:`rate_per_us`); ``b`` (nA) is a current jump, ``b / cm`` ->
  CADC LSB per us (:func:`slope_cadc_per_us`); ``tau_w`` is a time constant;
  ``v_thresh - delta_T`` (the potential where firing sets in) is a potential.
* **Readout**: CADC samples are already in CADC LSB (the calibration sets channel
  offsets); MADC samples are converted with the readout chain's design values below.
"""
from __future__ import annotations

from emulator import units

V_ANCHOR_MV: float = -65.0
"""Biological potential that maps onto :data:`V_ANCHOR_CADC`."""
V_ANCHOR_CADC: float = 80.0
CADC_PER_MV: float = 3.0
"""CADC LSB per biological mV."""

MADC_PER_CADC: float = 1023.0 / 1200.0 * 2.818
"""MADC LSB per CADC LSB: design value of the readout chain (10-bit MADC over 1.2 V,
2.818 mV per CADC LSB). Used until the calibration measures it per neuron."""
MADC_AT_CADC_ZERO: float = 1023.0 / 1200.0 * (82.2 - 20 * 2.818)
"""MADC reading of a membrane that the (calibrated) CADC reads as 0 LSB (design value)."""


US_PER_MS: float = float(units.bio_ms_to_hw_us(1.0))
"""Hardware us per biological ms (from :mod:`emulator.units`)."""

# The conversions use plain arithmetic so that they also work on PyNN's lazy arrays.


def mv_to_cadc(v_mv):
    """Biological mV -> CADC LSB (calibration target units)."""
    return V_ANCHOR_CADC + CADC_PER_MV * (v_mv - V_ANCHOR_MV)


def cadc_to_mv(v_cadc):
    """CADC LSB -> biological mV."""
    return V_ANCHOR_MV + (v_cadc - V_ANCHOR_CADC) / CADC_PER_MV


def madc_to_cadc(samples):
    """MADC LSB -> CADC LSB with the design values of the readout chain."""
    return (samples - MADC_AT_CADC_ZERO) / MADC_PER_CADC


def ms_to_us(t_bio_ms):
    """Biological ms -> hardware us (a time constant or a time point)."""
    return t_bio_ms * US_PER_MS


def us_to_ms(t_hw_us):
    """Hardware us -> biological ms."""
    return t_hw_us / US_PER_MS


def slope_cadc_per_us(current_na, cm_nf):
    """A current (nA) into a capacitance (nF) -> membrane slope in CADC LSB per hardware us."""
    return CADC_PER_MV * (current_na / cm_nf) / US_PER_MS


def rate_per_us(conductance_us, cm_nf):
    """A conductance (uS) on a capacitance (nF) -> relaxation rate in 1 / hardware us."""
    return (conductance_us / cm_nf) / US_PER_MS


def conductance_us(rate, cm_nf):
    """Inverse of :func:`rate_per_us`: 1 / hardware us at ``cm_nf`` -> uS."""
    return rate * US_PER_MS * cm_nf


def current_na(slope, cm_nf):
    """Inverse of :func:`slope_cadc_per_us`: CADC LSB per us at ``cm_nf`` -> nA."""
    return slope * US_PER_MS / CADC_PER_MV * cm_nf
