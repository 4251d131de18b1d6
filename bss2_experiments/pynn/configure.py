"""From the PyNN network in ``simulator.state`` to a chip configuration.

:func:`compile_network` builds the calibration targets of the placed neurons, calibrates
(:mod:`.calibrated`), sets the neurons' remaining switches and currents, converts the
projections' weights to integer hardware weights and maps everything with
:mod:`.mapping`; the readout follows what the recorders ask for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyNN import errors

from calibration.correlation import CorrelationCalibrationResult, design_biases, load_or_calibrate_correlation
from emulator.interface import ChipConfiguration, CorrelationSensorConfig, MADCSource, NeuronConfig, ReadoutConfig
from . import calibrated, mapping, scaling

MADC_SOURCES = {"v": MADCSource.MEMBRANE, "exc_synin": MADCSource.EXCITATORY_SYNIN,
                "inh_synin": MADCSource.INHIBITORY_SYNIN, "adaptation": MADCSource.ADAPTATION}
_PYNN_NAMES = {"v_rest": "v_rest", "v_reset": "v_reset", "v_thresh": "v_thresh", "tau_m_us": "tau_m",
               "tau_syn_exc_us": "tau_syn_E", "tau_syn_inh_us": "tau_syn_I", "tau_refrac_us": "tau_refrac",
               "i_synin_gm_exc": "i_synin_gm_E", "i_synin_gm_inh": "i_synin_gm_I",
               "synapse_dac_bias": "synapse_dac_bias", "e_rev_exc": "e_rev_E", "e_rev_inh": "e_rev_I"}


@dataclass
class Compiled:
    """A network ready to run: configuration, mapping and the bookkeeping to read back."""

    config: ChipConfiguration
    mapping: mapping.ChipMapping
    neuron_pops: list
    source_pops: list
    neuron_offset: dict
    source_offset: dict
    weight_scale: np.ndarray
    """(2, n_neurons): integer hardware weight per PyNN weight unit, excitatory / inhibitory."""
    plastic: dict = field(default_factory=dict)
    """mapping key -> (projection, its connections in that block, their logical post
    neurons, inhibitory): where to write read-back weights."""
    correlation_calibration: CorrelationCalibrationResult | None = None
    """The correlation-sensor calibration applied (``setup(correlation_...=...)``), if any."""


def compile_network(state) -> Compiled:
    """Calibrate (if needed), configure and map the network of ``state`` on ``state.chip``."""
    pops = state.populations
    neuron_pops = [p for p in pops if p.celltype.hardware != "source"]
    source_pops = [p for p in pops if p.celltype.hardware == "source"]
    neuron_offset = dict(zip(neuron_pops, np.cumsum([0] + [p.size for p in neuron_pops])[:-1].tolist()))
    source_offset = dict(zip(source_pops, np.cumsum([0] + [p.size for p in source_pops])[:-1].tolist()))
    n_neurons = sum(p.size for p in neuron_pops)
    placement = mapping.place(n_neurons, state.chip_options.get("neuronPermutation"))
    config, result = _neuron_configuration(state, neuron_pops, neuron_offset, placement)
    weight_scale = _weight_scale(neuron_pops, neuron_offset, placement, result)
    blocks, plastic = _connection_blocks(state, neuron_offset, source_offset, weight_scale)
    chip_map = _mapped(state, n_neurons, sum(p.size for p in source_pops), blocks)
    config = chip_map.configure(config)
    config.readout = _readout(neuron_offset, placement, config.readout)
    config.plasticity = tuple(rule._program(chip_map, neuron_offset, source_offset) for rule in state.plasticity_rules)
    config.correlation, correlation_result = _correlation_sensors(state)
    return Compiled(config, chip_map, neuron_pops, source_pops, neuron_offset, source_offset, weight_scale, plastic,
                    correlation_result)


def _mapped(state, n_neurons: int, n_inputs: int, blocks: list) -> mapping.ChipMapping:
    """:func:`mapping.map_network` of the blocks, reused while they stay the same: runs
    that repeat a network unchanged (inference of a trained network, one test set after
    another) skip the layout. The reused synapse arrays are read-only, so nothing can
    change a remembered layout behind the cache's back."""
    args = (n_neurons, n_inputs, blocks, state.chip_options.get("neuronPermutation"))
    key = mapping.network_fingerprint(*args)
    if state.last_mapping is not None and state.last_mapping[0] == key:
        return state.last_mapping[1]
    chip_map = mapping.map_network(*args)
    for array in (chip_map.synapses.weights, chip_map.synapses.labels, chip_map.synapses.row_modes):
        array.flags.writeable = False
    state.last_mapping = (key, chip_map)
    return chip_map


def _correlation_sensors(state) -> tuple[CorrelationSensorConfig | None, CorrelationCalibrationResult | None]:
    """Correlation-sensor biases for ``setup(correlation_amplitude_lsb=, correlation_tau_us=)``:
    none set -> ``None`` (the chip's default correlation calibration, 0.5 LSB / 5 us);
    with ``calibration=None`` the design biases; otherwise the chip's calibration for the
    target (cached on disk and for this session)."""
    opts = state.chip_options
    target = opts.get("correlation_target")
    if target is None:
        return None, None
    if opts.get("calibration", "auto") is None:
        ramp, store = design_biases(target)
        return CorrelationSensorConfig(np.full(4, ramp, np.int32), np.full(4, store, np.int32)), None
    key = ("correlation", state.chip.identity, target)
    if key not in state.calibration_cache:
        state.calibration_cache[key] = load_or_calibrate_correlation(state.chip, target,
                                                                     cache_dir=opts.get("cache_dir"))
    result = state.calibration_cache[key]
    return result.sensor_config, result


# -- neurons -------------------------------------------------------------------------

def _neuron_configuration(state, neuron_pops, offset, placement):
    """A configuration with every placed neuron set up (calibrated DAC values for the
    calibrated types, raw fields for HXNeuron), and the calibration result used (None if
    no population needs one)."""
    config = ChipConfiguration()
    calibrated_pops = [p for p in neuron_pops if p.celltype.hardware == "calibrated"]
    result = None
    if calibrated_pops:
        per_pop = [_targets_of(state, p) for p in calibrated_pops]
        values = {name: _joined(calibrated_pops, [t[name] for t in per_pop], name) for name in calibrated.TARGET_FIELDS}
        chips = [placement[offset[p]:offset[p] + p.size] for p in calibrated_pops]
        targets = calibrated.targets_array(values, np.concatenate(chips), _PYNN_NAMES)
        result = calibrated.calibration_for(state, targets)
        state.calibration_result = result
        config = result.apply(config)
    n = config.neurons
    for p in neuron_pops:
        chip = placement[offset[p]:offset[p] + p.size]
        if p.celltype.hardware == "raw":
            for name in p.celltype.get_native_names():
                getattr(n, name)[chip] = p.native_array(name)
            continue
        n.threshold_enable[chip] = True
        n.excitatory_input_enable[chip] = True
        n.inhibitory_input_enable[chip] = True
        if "i_offset_slope" in p.celltype.get_native_names():
            _set_offset_current(n, chip, p.native_array("i_offset_slope"), result, p.label)
    n.event_output_enable[placement] = True
    unplaced = np.setdiff1d(np.arange(n.adaptation_enable.size), placement)
    n.adaptation_enable[unplaced] = False
    n.exponential_enable[unplaced] = False
    return config, result


def _joined(pops, parts, name):
    """One target over the neurons of ``pops`` from each population's value (scalar or
    array); ``None`` if no population has it (a COBA or AdEx target in a CUBA LIF network)."""
    if all(v is None for v in parts):
        return None
    if any(v is None for v in parts):
        without = [p.label for p, v in zip(pops, parts) if v is None]
        kind = "COBA" if name.startswith("e_rev") else "AdEx (adaptation, exponential term)"
        raise NotImplementedError(
            f"populations {without} have no target {name} while others have: the calibration sets {kind} for "
            f"all neurons of a chip or for none. Run them in separate runs, or use one kind of cell")
    return np.concatenate([np.broadcast_to(v, (p.size,)) for p, v in zip(pops, parts)])


def _targets_of(state, population) -> dict:
    """Calibration targets of a calibrated population (arrays over its neurons)."""
    native = {name: population.native_array(name) for name in population.celltype.get_native_names()}
    opts = state.chip_options
    if "capacitance" in native and np.any(native["capacitance"] != 63):
        raise NotImplementedError(f"{population.label}: cm other than 63 needs a capacitance target, which "
                                  f"calibration.CalibrationTargets does not have yet")
    return {name: native.get(name, None if name in calibrated.OPTIONAL_FIELDS else opts.get(name))
            for name in calibrated.TARGET_FIELDS}


def _set_offset_current(n: NeuronConfig, chip, slope, result, label):
    """Constant-current DAC values for membrane slopes ``slope`` (CADC LSB per hardware us),
    with the calibrated gain ``achieved['i_offset_per_dac']`` (same unit per DAC)."""
    if not np.any(slope):
        return
    if slope.min() < 0:
        raise ValueError(f"{label}: negative i_offset is not supported (the chip's offset current only "
                         f"charges the membrane)")
    if "i_offset_per_dac" not in result.achieved:
        raise ValueError(f"{label}: i_offset needs the calibrated gain of the constant-current source, "
                         f"achieved['i_offset_per_dac'], which calibration {result.calibration_id} lacks; "
                         f"recalibrate with the current calibration package")
    dac = np.rint(slope / np.asarray(result.achieved["i_offset_per_dac"])[chip])
    if dac.max() > 1022:
        raise ValueError(f"{label}: i_offset needs {dac.max():.0f} DAC of the constant-current source, the "
                         f"maximum is 1022; lower i_offset or raise cm")
    n.constant_current_enable[chip] = dac > 0
    n.constant_current_i_offset[chip] = dac.astype(np.int32)


_STRENGTHS = {"nA": (scaling.slope_cadc_per_us, ("syn_strength_exc", "syn_strength_inh")),
              "uS": (scaling.rate_per_us, ("coba_strength_exc", "coba_strength_inh"))}
"""Biological weight unit -> (its effect per unit at a given cm, the calibrated effect per
weight LSB): CUBA jump of dV/dt (CADC LSB / us), COBA conductance over capacitance (1 / us)."""


def _weight_scale(neuron_pops, offset, placement, result) -> np.ndarray:
    """Integer hardware weight per PyNN weight unit for each logical neuron."""
    scale = np.ones((2, placement.size))
    for p in neuron_pops:
        if p.celltype.weight_units not in _STRENGTHS:
            continue
        per_unit, names = _STRENGTHS[p.celltype.weight_units]
        missing = [name for name in names if name not in result.achieved]
        if missing:
            raise ValueError(f"{p.label}: weights in {p.celltype.weight_units} need {missing} from the calibration, "
                             f"which calibration {result.calibration_id} lacks (a CUBA calibration for a COBA cell "
                             f"type?); calibrate with this network's targets (setup(calibration='auto'))")
        sl = slice(offset[p], offset[p] + p.size)
        for k, name in enumerate(names):
            scale[k, sl] = per_unit(1.0, p.native_array("cm_nf")) / np.asarray(result.achieved[name])[placement[sl]]
    return scale


# -- connections -------------------------------------------------------------------------

def _index_tables(state, neuron_offset, source_offset):
    """Global cell ID -> logical neuron index / input index (-1 where not that kind)."""
    neuron = np.full(state.id_counter, -1, np.int64)
    source = np.full(state.id_counter, -1, np.int64)
    for table, offsets in ((neuron, neuron_offset), (source, source_offset)):
        for p, off in offsets.items():
            table[np.asarray(p.all_cells, dtype=np.int64)] = off + np.arange(p.size)
    return neuron, source


def _connection_blocks(state, neuron_offset, source_offset, weight_scale):
    neuron_of, source_of = _index_tables(state, neuron_offset, source_offset)
    blocks, plastic = [], {}
    for k, proj in enumerate(state.projections):
        if proj.receptor_type not in ("excitatory", "inhibitory"):
            raise errors.ConnectionError(f"receptor_type {proj.receptor_type!r}: the chip has 'excitatory' and "
                                         f"'inhibitory' synaptic inputs")
        inhibitory = proj.receptor_type == "inhibitory"
        pre_ids = np.asarray(proj.pre.all_cells, dtype=np.int64)[proj._pre]
        post = neuron_of[np.asarray(proj.post.all_cells, dtype=np.int64)[proj._post]]
        w = np.rint(np.abs(proj._weight) * weight_scale[int(inhibitory), post])
        for from_inputs, table in ((True, source_of), (False, neuron_of)):
            pre = table[pre_ids]
            sel = np.flatnonzero(pre >= 0)
            if sel.size == 0:
                continue
            key = 2 * k + int(from_inputs) if proj.plastic else None
            blocks.append(mapping.Connections(pre[sel], post[sel], w[sel], inhibitory, from_inputs, key,
                                              proj.label_pool))
            if key is not None:
                plastic[key] = (proj, sel, post[sel], inhibitory)
    return blocks, plastic


# -- readout -------------------------------------------------------------------------------

def _readout(neuron_offset, placement, base: ReadoutConfig) -> ReadoutConfig:
    """MADC / CADC settings from what the recorders ask for; the calibrated CADC offsets stay."""
    madc, madc_vars, cadc_periods = [], set(), set()
    for p, off in neuron_offset.items():
        rec = p.recorder
        for var, idx in rec.analog_indices().items():
            chips = placement[off + idx]
            if rec.device == "madc":
                madc.extend(int(c) for c in chips)
                madc_vars.add(var)
            else:
                cadc_periods.add(round(rec.sampling_interval, 12))
    madc = sorted(set(madc))
    if len(madc) > 2 or sum(c % 2 == 0 for c in madc) > 1 or sum(c % 2 == 1 for c in madc) > 1:
        raise mapping.MappingError(
            f"the MADC records at most one even and one odd chip neuron; {len(madc)} are recorded with "
            f"device='madc' (chip neurons {madc[:6]}). Record fewer neurons, or use device='cadc'")
    if len(madc_vars) > 1:
        raise mapping.MappingError(f"the MADC digitises one quantity at a time; recorded: {sorted(madc_vars)}")
    if len(cadc_periods) > 1:
        raise mapping.MappingError(f"all CADC recordings share one sampling interval; requested {sorted(cadc_periods)} ms")
    readout = ReadoutConfig(madc_neurons=tuple(madc), cadc_channel_offset=base.cadc_channel_offset)
    if madc_vars:
        readout.madc_source = MADC_SOURCES[madc_vars.pop()]
    if cadc_periods:
        readout.cadc_period_us = float(scaling.ms_to_us(cadc_periods.pop()))
    return readout
