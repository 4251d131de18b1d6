"""Fixed-pattern noise (FPN): how one emulated chip differs from the design.

Every analog circuit of BrainScaleS-2 maps its CapMem DAC value to a physical value a
little differently, and the difference is fixed for a given chip. Calibration (calix)
exists to remove it. Here the deviations are drawn once per chip id from a seeded
generator, so the same id always gives the identical chip and different ids give
different chips. Each quantity has its own random stream (``SeedSequence([chip_id,
stream])``), so adding a quantity later does not change the others.

Magnitudes (chosen so calibration matters as much as on hardware; public sources give
no absolute figures, see ``shared/notes/bss2_stack.md`` section 2.5):

================================  =========================================================
potentials (leak, reset,          offset N(0, 50 mV) ~ 18 CADC LSB, gain N(1, 3 %),
threshold, reversal, v_ref,       curvature N(0, 8 mV) at the ends of the DAC range:
v_exp)                            raw spread 15-25 CADC LSB, as the issue asks
leak / reset conductance,         log-normal gain, sigma 0.25 (~25 % std of tau)
synaptic time constants
synaptic input strength (gm)      log-normal gain, sigma 0.20
per-synapse weight DAC            N(1, 3 %)
synapse DAC bias per quadrant     N(1, 5 %)
constant current, adaptation,     log-normal gain, sigma 0.20
exponential term
exponential slope Delta_T         N(12 mV, 1.5 mV)
CADC channels                     offset N(0, 20 LSB) (calix tests bound the fitted
                                  offsets' std by 20 LSB), gain N(1, 2 %)
correlation sensors               amplitude N(1, 10 %), offset N(4, 2) LSB per synapse
correlation biases per quadrant   amplitude and time-constant gain log-normal, sigma 0.25;
                                  power-law exponent N(1, 0.05) (the transfer model is in
                                  :mod:`emulator.correlation`)
================================  =========================================================

Quantities added later draw from streams after all earlier ones, so a chip id keeps its
earlier deviations (the per-quadrant correlation biases came after the per-synapse ones).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .interface import N_COLUMNS, N_HEMISPHERES, N_NEURONS, N_QUADRANTS, N_ROWS

FPN_MODEL_VERSION = 1
"""Bump when the draws below change: the same chip id then becomes a different chip, and
calibrations cached for the old model no longer match."""

POTENTIALS = ("leak_v_leak", "reset_v_reset", "threshold_v_threshold", "excitatory_input_v_rev_coba",
              "inhibitory_input_v_rev_coba", "adaptation_v_ref", "exponential_v_exp")
"""CapMem voltage cells that set a potential."""
CORRELATION_BIAS_FIELDS = ("correlation_tau_gain", "correlation_tau_exponent", "correlation_amplitude_gain",
                           "correlation_amplitude_exponent")
"""Per-quadrant deviations of the correlation-sensor biases (unity on the design chip)."""


@dataclass(frozen=True)
class PotentialDeviation:
    """Per-neuron deviation of a potential cell: V = gain * V_nominal + offset + curvature * x^2,
    with x = 2 * dac / 1022 - 1 in -1..1 (arrays of shape (512,), millivolts where dimensional)."""

    gain: np.ndarray
    offset_mv: np.ndarray
    curvature_mv: np.ndarray


@dataclass(frozen=True)
class FixedPattern:
    """All fixed-pattern deviations of one chip (unity gains and zero offsets for the ideal chip)."""

    potentials: dict
    """cell name -> :class:`PotentialDeviation`"""
    leak_gain: np.ndarray
    reset_gain: np.ndarray
    tau_syn_gain: np.ndarray
    """(2, 512): excitatory, inhibitory. Multiplies the time constant."""
    gm_gain: np.ndarray
    """(2, 512): excitatory, inhibitory synaptic input strength."""
    synapse_gain: np.ndarray
    """(2, 256, 256): per-synapse weight DAC gain."""
    quadrant_bias_gain: np.ndarray
    """(4,): synapse DAC bias per quadrant."""
    offset_current_gain: np.ndarray
    adaptation_gain: np.ndarray
    """(3, 512): tau_w, a, b."""
    exponential_gain: np.ndarray
    exponential_slope_mv: np.ndarray
    cadc_offset_lsb: np.ndarray
    cadc_gain: np.ndarray
    correlation_gain: np.ndarray
    """(2, 256, 256): amplitude of each synapse's correlation sensor."""
    correlation_offset_lsb: np.ndarray
    """(2, 256, 256): offset of each correlation readout in CADC LSB."""
    correlation_tau_gain: np.ndarray
    """(4,): per quadrant, multiplies the sensors' time constant at a given ramp bias."""
    correlation_tau_exponent: np.ndarray
    """(4,): per quadrant, power-law exponent of time constant over ramp bias."""
    correlation_amplitude_gain: np.ndarray
    """(4,): per quadrant, multiplies the amplitude per pair at a given store bias."""
    correlation_amplitude_exponent: np.ndarray
    """(4,): per quadrant, power-law exponent of amplitude over store bias."""

    @classmethod
    def ideal(cls) -> "FixedPattern":
        """The design chip: every circuit exactly nominal."""
        ones = np.ones(N_NEURONS)
        zeros = np.zeros(N_NEURONS)
        synapses = (N_HEMISPHERES, N_ROWS, N_COLUMNS)
        return cls(
            potentials={p: PotentialDeviation(ones, zeros, zeros) for p in POTENTIALS},
            leak_gain=ones, reset_gain=ones, tau_syn_gain=np.ones((2, N_NEURONS)),
            gm_gain=np.ones((2, N_NEURONS)), synapse_gain=np.ones(synapses),
            quadrant_bias_gain=np.ones(N_QUADRANTS), offset_current_gain=ones,
            adaptation_gain=np.ones((3, N_NEURONS)), exponential_gain=ones,
            exponential_slope_mv=np.full(N_NEURONS, 12.0), cadc_offset_lsb=zeros, cadc_gain=ones,
            correlation_gain=np.ones(synapses), correlation_offset_lsb=np.zeros(synapses),
            **{name: np.ones(N_QUADRANTS) for name in CORRELATION_BIAS_FIELDS})

    @classmethod
    def for_chip(cls, chip_id: int) -> "FixedPattern":
        """The deviations of chip ``chip_id`` (any non-negative integer)."""
        if int(chip_id) < 0:
            raise ValueError(f"chip_id must be a non-negative integer, got {chip_id}")
        streams = iter(range(1000))

        def rng() -> np.random.Generator:
            return np.random.default_rng(np.random.SeedSequence([int(chip_id), FPN_MODEL_VERSION, next(streams)]))

        def lognormal(sigma: float, shape=(N_NEURONS,)) -> np.ndarray:
            return rng().lognormal(0.0, sigma, size=shape)

        potentials = {}
        for name in POTENTIALS:
            r = rng()
            potentials[name] = PotentialDeviation(
                gain=r.normal(1.0, 0.03, N_NEURONS), offset_mv=r.normal(0.0, 50.0, N_NEURONS),
                curvature_mv=r.normal(0.0, 8.0, N_NEURONS))
        synapses = (N_HEMISPHERES, N_ROWS, N_COLUMNS)
        return cls(
            potentials=potentials,
            leak_gain=lognormal(0.25), reset_gain=lognormal(0.25),
            tau_syn_gain=lognormal(0.25, (2, N_NEURONS)), gm_gain=lognormal(0.20, (2, N_NEURONS)),
            synapse_gain=np.clip(rng().normal(1.0, 0.03, synapses), 0.85, 1.15),
            quadrant_bias_gain=rng().normal(1.0, 0.05, N_QUADRANTS),
            offset_current_gain=lognormal(0.20), adaptation_gain=lognormal(0.20, (3, N_NEURONS)),
            exponential_gain=lognormal(0.20), exponential_slope_mv=rng().normal(12.0, 1.5, N_NEURONS),
            cadc_offset_lsb=rng().normal(0.0, 20.0, N_NEURONS), cadc_gain=rng().normal(1.0, 0.02, N_NEURONS),
            correlation_gain=np.clip(rng().normal(1.0, 0.10, synapses), 0.6, 1.4),
            correlation_offset_lsb=np.clip(rng().normal(4.0, 2.0, synapses), 0.0, 12.0),
            correlation_tau_gain=lognormal(0.25, N_QUADRANTS),
            correlation_tau_exponent=np.clip(rng().normal(1.0, 0.05, N_QUADRANTS), 0.85, 1.15),
            correlation_amplitude_gain=lognormal(0.25, N_QUADRANTS),
            correlation_amplitude_exponent=np.clip(rng().normal(1.0, 0.05, N_QUADRANTS), 0.85, 1.15))

