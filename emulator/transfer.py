"""From CapMem DAC values to physical neuron parameters, per neuron.

The nominal (design) transfer functions below are this emulator's model of the chip;
:mod:`emulator.fixed_pattern` then bends them per neuron. Physical units inside the
emulator: millivolts, nanoamperes, picofarads, microsiemens and hardware microseconds
(so that nA / pF = mV / us and pF / uS = us).

Design values and where they come from:

* potential cells: 1.2 V full scale over 10 bit (``V = 1200 mV * dac / 1022``);
* membrane capacitance: 2.2 pF at setting 63 (grenade ``ideal_capacitance_per_neuron``),
  scaled by ``capacitance / 63`` as pynn_brainscales does;
* leak: ``tau_m = 3000 us / leak_i_bias`` at 2.2 pF, so the default target of 10 us lies at
  DAC ~300; the division / multiplication switches scale the conductance by 1/8 and 8 so
  calibration reaches calix' range 0.5..60 us;
* synaptic time constants ``tau_syn = 300 us / i_bias_tau`` (10 us at DAC 30, 0.3 us at
  1000): the 0.3..30 us range calix allows;
* synaptic current per weight LSB ``0.38 nA * gm / 500 * bias / 600``: a weight-63 event
  then gives a ~40 mV (~14 CADC LSB) PSP at tau_m = tau_syn = 10 us;
* COBA: the same event opens a conductance that passes that current at 400 mV drive;
* reset conductance ``tau_reset = 30 us / reset_i_bias`` (30 ns at DAC 1000, so even the
  shortest refractory times reset the membrane); refractory clocks 25 / 8 MHz;
* constant current 0.1 nA per DAC LSB; adaptation ``tau_w = 3000 us / i_bias_tau``,
  ``a = 2 nS * i_bias_a``, ``b = 0.05 nA * i_bias_b``; exponential term
  ``I = 0.05 nA * i_bias * exp((V - V_exp) / Delta_T)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fixed_pattern import FixedPattern
from .interface import CAPMEM_MAX_DAC, N_NEURONS, REFRACTORY_CLOCK_MHZ, NeuronConfig, quadrant_of

POTENTIAL_FULL_SCALE_MV = 1200.0
C_MAX_PF = 2.2
LEAK_TAU_CONSTANT_US = 3000.0
LEAK_SWITCH_FACTOR = 8.0
SYN_TAU_CONSTANT_US = 300.0
RESET_TAU_CONSTANT_US = 30.0
SYN_CURRENT_PER_LSB_NA = 0.38
COBA_REFERENCE_DRIVE_MV = 400.0
OFFSET_CURRENT_PER_LSB_NA = 0.1
ADAPTATION_TAU_CONSTANT_US = 3000.0
ADAPTATION_A_PER_LSB_US = 0.002
ADAPTATION_B_PER_LSB_NA = 0.05
EXPONENTIAL_CURRENT_PER_LSB_NA = 0.05


@dataclass
class NeuronPhysics:
    """Physical parameters of all 512 neurons (arrays of shape (512,) unless noted)."""

    v_leak_mv: np.ndarray
    v_reset_mv: np.ndarray
    v_thresh_mv: np.ndarray
    c_pf: np.ndarray
    g_leak_us: np.ndarray
    g_reset_us: np.ndarray
    t_refrac_us: np.ndarray
    """Time after a spike during which the neuron cannot fire."""
    t_clamp_us: np.ndarray
    """Time after a spike during which the membrane is pulled to the reset potential."""
    threshold_enable: np.ndarray
    input_enable: np.ndarray
    """(2, 512) excitatory, inhibitory."""
    tau_syn_us: np.ndarray
    """(2, 512)."""
    syn_current_per_lsb_na: np.ndarray
    """(2, 512) current jump of one weight-LSB synapse event (without the per-synapse and
    quadrant-bias factors, which the fan-out applies)."""
    coba: np.ndarray
    """(2, 512) bool: conductance-based input."""
    e_rev_mv: np.ndarray
    """(2, 512) reversal potentials (COBA only)."""
    i_offset_na: np.ndarray
    adaptation_enable: np.ndarray
    tau_w_us: np.ndarray
    a_us: np.ndarray
    b_na: np.ndarray
    v_ref_mv: np.ndarray
    exponential_enable: np.ndarray
    i_exp_na: np.ndarray
    v_exp_mv: np.ndarray
    delta_t_mv: np.ndarray

    @property
    def tau_m_us(self) -> np.ndarray:
        return self.c_pf / self.g_leak_us


def nominal_potential_mv(dac) -> np.ndarray:
    """Design voltage (mV) of a CapMem potential cell."""
    return POTENTIAL_FULL_SCALE_MV * np.asarray(dac, float) / CAPMEM_MAX_DAC


def potential_mv(dac: np.ndarray, deviation) -> np.ndarray:
    """A potential cell's voltage (mV) for its DAC value, with that cell's deviation."""
    nominal = nominal_potential_mv(dac)
    x = 2.0 * np.asarray(dac, float) / CAPMEM_MAX_DAC - 1.0
    return deviation.gain * nominal + deviation.offset_mv + deviation.curvature_mv * x * x


def _inverse_law(constant_us: float, dac: np.ndarray) -> np.ndarray:
    """Time constant of a bias-current controlled circuit: ``constant / dac`` (dac >= 1)."""
    return constant_us / np.maximum(np.asarray(dac, float), 1.0)


def neuron_physics(cfg: NeuronConfig, fpn: FixedPattern, synapse_dac_bias: np.ndarray,
                   capmem_noise_dac: np.ndarray | None = None) -> NeuronPhysics:
    """Apply the chip's transfer functions to a configuration.

    ``capmem_noise_dac`` optionally adds a per-run error (DAC LSB, shape
    ``(len(NeuronConfig.analog_fields()), 512)``, rows in that order) to the CapMem
    cells: the temporal CapMem noise of a run.
    """
    row = {name: i for i, name in enumerate(NeuronConfig.analog_fields())}

    def dac(name: str) -> np.ndarray:
        value = np.asarray(getattr(cfg, name), float)
        return value if capmem_noise_dac is None else value + capmem_noise_dac[row[name]]

    pot = fpn.potentials
    c_pf = C_MAX_PF * np.maximum(cfg.membrane_capacitance_capacitance, 1) / 63.0
    leak_switch = np.where(cfg.leak_enable_multiplication, LEAK_SWITCH_FACTOR, 1.0) / np.where(
        cfg.leak_enable_division, LEAK_SWITCH_FACTOR, 1.0)
    g_leak_us = C_MAX_PF / _inverse_law(LEAK_TAU_CONSTANT_US, dac("leak_i_bias")) * leak_switch * fpn.leak_gain
    g_reset_us = C_MAX_PF / _inverse_law(RESET_TAU_CONSTANT_US, dac("reset_i_bias")) * fpn.reset_gain
    tick_us = np.where(cfg.refractory_period_input_clock == 0, 1.0 / REFRACTORY_CLOCK_MHZ[0],
                       1.0 / REFRACTORY_CLOCK_MHZ[1])
    t_refrac = cfg.refractory_period_refractory_time * tick_us
    t_clamp = np.maximum(cfg.refractory_period_refractory_time - cfg.refractory_period_reset_holdoff, 0) * tick_us
    bias = (np.asarray(synapse_dac_bias, float) / 600.0 * fpn.quadrant_bias_gain)[quadrant_of(np.arange(N_NEURONS))]
    gm = np.stack([dac("excitatory_input_i_bias_gm"), dac("inhibitory_input_i_bias_gm")])
    tau_syn = np.stack([_inverse_law(SYN_TAU_CONSTANT_US, dac("excitatory_input_i_bias_tau")),
                        _inverse_law(SYN_TAU_CONSTANT_US, dac("inhibitory_input_i_bias_tau"))]) * fpn.tau_syn_gain
    a_sign = np.where(cfg.adaptation_invert_a, -1.0, 1.0)
    b_sign = np.where(cfg.adaptation_invert_b, -1.0, 1.0)
    return NeuronPhysics(
        v_leak_mv=potential_mv(dac("leak_v_leak"), pot["leak_v_leak"]),
        v_reset_mv=potential_mv(dac("reset_v_reset"), pot["reset_v_reset"]),
        v_thresh_mv=potential_mv(dac("threshold_v_threshold"), pot["threshold_v_threshold"]),
        c_pf=c_pf, g_leak_us=g_leak_us, g_reset_us=g_reset_us,
        t_refrac_us=t_refrac, t_clamp_us=t_clamp,
        threshold_enable=np.asarray(cfg.threshold_enable, bool),
        input_enable=np.stack([cfg.excitatory_input_enable, cfg.inhibitory_input_enable]).astype(bool),
        tau_syn_us=tau_syn,
        syn_current_per_lsb_na=SYN_CURRENT_PER_LSB_NA * gm / 500.0 * fpn.gm_gain * bias,
        coba=np.stack([cfg.excitatory_input_enable_coba_mode, cfg.inhibitory_input_enable_coba_mode]).astype(bool),
        e_rev_mv=np.stack([potential_mv(dac("excitatory_input_v_rev_coba"), pot["excitatory_input_v_rev_coba"]),
                           potential_mv(dac("inhibitory_input_v_rev_coba"), pot["inhibitory_input_v_rev_coba"])]),
        i_offset_na=np.where(cfg.constant_current_enable,
                             OFFSET_CURRENT_PER_LSB_NA * dac("constant_current_i_offset") * fpn.offset_current_gain, 0.0),
        adaptation_enable=np.asarray(cfg.adaptation_enable, bool),
        tau_w_us=_inverse_law(ADAPTATION_TAU_CONSTANT_US, dac("adaptation_i_bias_tau")) * fpn.adaptation_gain[0],
        a_us=a_sign * ADAPTATION_A_PER_LSB_US * dac("adaptation_i_bias_a") * fpn.adaptation_gain[1],
        b_na=b_sign * ADAPTATION_B_PER_LSB_NA * dac("adaptation_i_bias_b") * fpn.adaptation_gain[2],
        v_ref_mv=potential_mv(dac("adaptation_v_ref"), pot["adaptation_v_ref"]),
        exponential_enable=np.asarray(cfg.exponential_enable, bool),
        i_exp_na=EXPONENTIAL_CURRENT_PER_LSB_NA * dac("exponential_i_bias") * fpn.exponential_gain,
        v_exp_mv=potential_mv(dac("exponential_v_exp"), pot["exponential_v_exp"]),
        delta_t_mv=fpn.exponential_slope_mv)

