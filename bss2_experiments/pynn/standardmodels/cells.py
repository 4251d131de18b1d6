"""Cell types: PyNN's standard models in biological units and BrainScaleS-2's own types.

Every neuron type says how it reaches the chip through ``hardware``:

* ``"calibrated"``: its native parameters are calibration targets (CADC LSB, hardware
  us; names of :class:`calibration.CalibrationTargets`) plus ``cm_nf`` and
  ``i_offset_slope`` (CADC LSB per hardware us) for the standard types. Standard types
  translate from biological units with :mod:`bss2_experiments.pynn.scaling`; their
  weights are nA and are converted with the calibrated synaptic strength. The
  ``CalibHX*`` types take targets directly and integer hardware weights.
* ``"raw"``: :class:`HXNeuron`, native parameters are the fields of
  :class:`emulator.interface.NeuronConfig` (CapMem DAC values, flags, counters);
  integer hardware weights.
  :class:`IF_cond_exp` and :class:`CalibHXNeuronCoba` add the COBA reversal potentials
  ``e_rev_exc`` / ``e_rev_inh`` (CADC LSB); IF_cond_exp's weights are uS and are converted
  with the calibrated conductance per weight LSB.
  :class:`EIF_cond_exp_isfa_ista` (AdEx) adds the adaptation targets ``tau_w_us``,
  ``adaptation_a`` (a / cm, 1 / us) and ``adaptation_b`` (b / cm as a jump of dV/dt, CADC
  LSB per us) and the exponential term's onset ``v_exp_onset`` = v_thresh - delta_T (CADC
  LSB); ``v_spike`` becomes the threshold comparator's target ``v_thresh``. The chip's
  slope factor Delta_T is its own (~1.4 mV biological on the emulator): the calibration
  keeps the rheobase potential v_thresh - delta_T (:mod:`calibration.exponential`).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import quantities as pq
from pyNN.standardmodels import StandardCellType, build_translations, cells

from emulator.interface import NeuronConfig
from .. import scaling

EXCITATORY_AND_INHIBITORY = ("excitatory", "inhibitory")


class _PlasticityHandle:
    """Lets a neuron type carry a PPU kernel: ``HXNeuron(..., plasticity_rule=rule)``
    (pynn_brainscales' way of giving a rule the population's neurons)."""

    def __init__(self, plasticity_rule=None, **parameters):
        super().__init__(**parameters)
        self.plasticity_rule = plasticity_rule


def _mv(name: str, native: str):
    """A potential: biological mV <-> CADC LSB."""
    return (name, native, lambda **p: scaling.mv_to_cadc(p[name]), lambda **p: scaling.cadc_to_mv(p[native]))


def _ms(name: str, native: str):
    """A time constant: biological ms <-> hardware us."""
    return (name, native, lambda **p: scaling.ms_to_us(p[name]), lambda **p: scaling.us_to_ms(p[native]))


_LIF_TRANSLATIONS = (
    _mv("v_rest", "v_rest"),
    _mv("v_reset", "v_reset"),
    _mv("v_thresh", "v_thresh"),
    _ms("tau_m", "tau_m_us"),
    _ms("tau_syn_E", "tau_syn_exc_us"),
    _ms("tau_syn_I", "tau_syn_inh_us"),
    _ms("tau_refrac", "tau_refrac_us"),
    ("cm", "cm_nf"),
    ("i_offset", "i_offset_slope",
     lambda **p: scaling.slope_cadc_per_us(p["i_offset"], p["cm"]),
     lambda **p: scaling.current_na(p["i_offset_slope"], p["cm_nf"])),
)


class IF_curr_exp(_PlasticityHandle, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__ + """
    On BrainScaleS-2: calibrated LIF with current-based exponential synapses; potentials,
    time constants and weights (nA) are scaled as :mod:`bss2_experiments.pynn.scaling`
    documents.
    """
    translations = build_translations(*_LIF_TRANSLATIONS)
    hardware = "calibrated"
    weight_units = "nA"
    recordable = ["spikes", "v"]


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__ + """
    On BrainScaleS-2: calibrated LIF with conductance-based exponential synapses; the
    reversal potentials are calibration targets (mV scaled like every potential, so PyNN's
    defaults 0 / -70 mV become 275 / 65 CADC LSB), weights (uS) are converted with the
    calibrated conductance per weight LSB (:mod:`bss2_experiments.pynn.scaling`).
    """
    translations = build_translations(*_LIF_TRANSLATIONS, _mv("e_rev_E", "e_rev_exc"), _mv("e_rev_I", "e_rev_inh"))
    hardware = "calibrated"
    weight_units = "uS"
    recordable = ["spikes", "v"]


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__ + """
    On BrainScaleS-2: the calibrated AdEx circuit with conductance-based synapses. Potentials,
    time constants and weights (uS) scale as for :class:`IF_cond_exp`; ``a`` (nS) becomes
    the rate a / cm, ``b`` (nA) the jump of dV/dt b / cm (:mod:`bss2_experiments.pynn.scaling`);
    ``v_spike`` is the threshold comparator. The chip's exponential slope is fixed per
    neuron (~1.4 mV biological at 3 CADC LSB per mV): ``v_thresh - delta_T``, the
    potential where firing sets in, is what is calibrated, so the rheobase matches.
    """
    translations = build_translations(
        *(t for t in _LIF_TRANSLATIONS if t[0] != "v_thresh"),
        _mv("v_spike", "v_thresh"), _mv("e_rev_E", "e_rev_exc"), _mv("e_rev_I", "e_rev_inh"),
        _ms("tau_w", "tau_w_us"), ("delta_T", "delta_T_mv"),
        ("v_thresh", "v_exp_onset",
         lambda **p: scaling.mv_to_cadc(p["v_thresh"] - p["delta_T"]),
         lambda **p: scaling.cadc_to_mv(p["v_exp_onset"]) + p["delta_T_mv"]),
        ("a", "adaptation_a",
         lambda **p: scaling.rate_per_us(p["a"] * 1e-3, p["cm"]),
         lambda **p: scaling.conductance_us(p["adaptation_a"], p["cm_nf"]) * 1e3),
        ("b", "adaptation_b",
         lambda **p: scaling.slope_cadc_per_us(p["b"], p["cm"]),
         lambda **p: scaling.current_na(p["adaptation_b"], p["cm_nf"])))
    hardware = "calibrated"
    weight_units = "uS"
    recordable = ["spikes", "v"]


_CALIB_HX_TRANSLATIONS = (
    ("v_rest", "v_rest"), ("v_reset", "v_reset"), ("v_thresh", "v_thresh"),
    ("tau_m", "tau_m_us"), ("tau_syn_E", "tau_syn_exc_us"), ("tau_syn_I", "tau_syn_inh_us"),
    ("cm", "capacitance"), ("tau_refrac", "tau_refrac_us"), ("i_synin_gm_E", "i_synin_gm_exc"),
    ("i_synin_gm_I", "i_synin_gm_inh"), ("synapse_dac_bias", "synapse_dac_bias"))
"""The CalibHX types' parameters are calibration targets under pynn_brainscales' names."""


class CalibHXNeuronCuba(_PlasticityHandle, StandardCellType):
    """Calibrated current-based LIF, parameters as calibration targets (pynn_brainscales'
    names and defaults; ranges are ``calibration.CalibrationTargets``): potentials in CADC LSB, times in hardware us,
    ``i_synin_gm_*`` and ``synapse_dac_bias`` in CapMem DAC, ``cm`` 0..63. Weights are
    integer hardware weights (negative on ``inhibitory`` projections)."""

    default_parameters = {
        "v_rest": 80.0, "v_reset": 70.0, "v_thresh": 125.0, "tau_m": 10.0, "tau_syn_E": 10.0,
        "tau_syn_I": 10.0, "cm": 63.0, "tau_refrac": 2.0, "i_synin_gm_E": 500.0,
        "i_synin_gm_I": 500.0, "synapse_dac_bias": 600.0,
    }
    translations = build_translations(*_CALIB_HX_TRANSLATIONS)
    units = {"v": "dimensionless", "v_rest": "dimensionless", "v_reset": "dimensionless",
             "v_thresh": "dimensionless", "tau_m": "us", "tau_syn_E": "us", "tau_syn_I": "us",
             "tau_refrac": "us", "cm": "dimensionless"}
    recordable = ["spikes", "v"]
    receptor_types = EXCITATORY_AND_INHIBITORY
    default_initial_values = {"v": 80.0}
    conductance_based = False
    hardware = "calibrated"
    weight_units = "hardware"


class CalibHXNeuronCoba(StandardCellType):
    """Calibrated conductance-based LIF (pynn_brainscales' names and defaults): the
    parameters of :class:`CalibHXNeuronCuba` plus the reversal potentials ``e_rev_E`` /
    ``e_rev_I`` in CADC LSB (0..400; extrapolated beyond the CADC's range, see
    :mod:`calibration.coba`). Weights are integer hardware weights."""

    default_parameters = {
        **CalibHXNeuronCuba.default_parameters, "v_rest": 110.0, "v_reset": 100.0, "v_thresh": 160.0,
        "e_rev_E": 300.0, "e_rev_I": 30.0, "i_synin_gm_E": 180.0, "i_synin_gm_I": 250.0,
        "synapse_dac_bias": 400.0,
    }
    translations = build_translations(*_CALIB_HX_TRANSLATIONS, ("e_rev_E", "e_rev_exc"), ("e_rev_I", "e_rev_inh"))
    units = {**CalibHXNeuronCuba.units, "e_rev_E": "dimensionless", "e_rev_I": "dimensionless"}
    recordable = ["spikes", "v"]
    receptor_types = EXCITATORY_AND_INHIBITORY
    default_initial_values = {"v": 110.0}
    conductance_based = True
    hardware = "calibrated"
    weight_units = "hardware"


_NOT_CONFIGURABLE = ("event_output_enable", "event_output_label")
_HX_FIELDS = [f for f in dataclasses.fields(NeuronConfig) if f.name not in _NOT_CONFIGURABLE]


class HXNeuron(_PlasticityHandle, StandardCellType):
    """One BrainScaleS-2 neuron circuit with raw parameters, named as pynn_brainscales'
    flattened ``lola.AtomicNeuron`` view (= :class:`emulator.interface.NeuronConfig`
    fields): CapMem DAC values 0..1022, flags, register values. Defaults are the silent
    neuron of a fresh chip. Weights are integer hardware weights; recordings are in ADC
    LSB."""

    default_parameters = {f.name: (bool(f.default_factory()[0]) if f.metadata["unit"] == "bool"
                                   else float(f.default_factory()[0])) for f in _HX_FIELDS}
    translations = build_translations(*((name, name) for name in default_parameters))
    units = {"v": "dimensionless", "exc_synin": "dimensionless", "inh_synin": "dimensionless",
             "adaptation": "dimensionless"}
    recordable = ["spikes", "v", "exc_synin", "inh_synin", "adaptation"]
    receptor_types = EXCITATORY_AND_INHIBITORY
    default_initial_values = {"v": 0.0}
    conductance_based = False
    hardware = "raw"
    weight_units = "hardware"


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__ + "\n    Times in biological ms; the host injects the events.\n"
    translations = build_translations(("spike_times", "spike_times"))
    hardware = "source"


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__ + (
        "\n    The host draws the trains (seeded by ``setup(seed=...)``) and injects them.\n")
    translations = build_translations(("rate", "rate"), ("start", "start"), ("duration", "duration"))
    hardware = "source"

    def draw(self, rate_hz: np.ndarray, start_ms: np.ndarray, duration_ms: np.ndarray,
             t0_ms: float, t1_ms: float, rng: np.random.Generator) -> list[np.ndarray]:
        """Spike times (biological ms) in ``[t0_ms, t1_ms)`` of each source."""
        out = []
        for rate, start, dur in zip(rate_hz, start_ms, duration_ms):
            lo, hi = max(t0_ms, start), min(t1_ms, start + dur)
            if rate <= 0 or hi <= lo:
                out.append(np.zeros(0))
                continue
            n = rng.poisson(float((rate * pq.Hz * (hi - lo) * pq.ms).simplified))
            out.append(np.sort(rng.uniform(lo, hi, n)))
        return out
