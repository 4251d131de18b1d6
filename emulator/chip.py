"""The emulated BrainScaleS-2 chip: implements :class:`emulator.interface.Chip`.

A run validates the configuration and stimulus, applies this chip's transfer functions
and fixed-pattern noise, flattens synapses and routing into a fan-out table, passes the
stimulus through the FPGA link model, integrates every trial with the compiled kernel
(:mod:`emulator.integrator`) and digitises the recordings. The correlation sensors follow
the run's events and spikes when a PPU program reads them or the readout asks for their
end-of-run values (``readout.correlation_at_end``), with the per-quadrant amplitude and time
constant of ``config.correlation`` (:mod:`emulator.correlation`).

Quiescent neurons are not integrated: a neuron that receives no synaptic input, no
constant current, has no adaptation or exponential term, is not recorded by the MADC and
rests more than six noise standard deviations below an enabled threshold (or has the
threshold off) can never leave its leak potential, so its membrane is known without
integration (CADC samples of it are drawn from its stationary distribution).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import integrator as K
from .correlation import CorrelationSensors, SensorRoutes, sensor_parameters
from .errors import ConfigurationError, PlasticityError
from .fanout import FanOut, build_fanout
from .fixed_pattern import FixedPattern
from .input_link import DeliveredEvents, deliver
from .interface import (MADC_SAMPLE_RATE_MHZ, N_NEURONS, CADCSamples, ChipConfiguration, CorrelationReads,
                        MADCSource, MADCTrace, NeuronConfig, PlasticityOutput, RunResult, SpikeRecord, Stimulus,
                        SynapseConfig)
from .random_streams import trial_seeds
from .segments import IntegrationState
from .readout import cadc_codes, madc_codes
from .transfer import NeuronPhysics, neuron_physics, nominal_potential_mv
from .units import FPGA_TICK_US, us_to_fpga_ticks

if TYPE_CHECKING:  # the firmware's host library loads only when a run has a PPU program
    from .ppu import PPUPair

SPONTANEOUS_MARGIN_SIGMA = 6.0


@dataclass
class _Prepared:
    """Per-run constants of the integration: integrated neurons ``idx`` (and the inverse map
    ``compact``), their parameter matrix, MADC selection and each neuron's fan-out slice."""

    idx: np.ndarray
    compact: np.ndarray
    P: np.ndarray
    madc_neurons: tuple
    madc_index: np.ndarray
    madc_row: int
    source_of_neuron: np.ndarray


@dataclass(frozen=True)
class TemporalNoise:
    """Trial-to-trial noise of the analog core (all zero in ideal mode).

    Magnitudes are this emulator's choice (public sources name the effects, not figures):
    membrane noise of 1.5 mV std (~0.5 CADC LSB), spike-time jitter 2 ns, CapMem read-out
    noise 0.3 DAC LSB per run, CADC read noise 0.6 LSB, MADC read noise 1 LSB.
    """

    membrane_mv: float = 1.5
    spike_jitter_us: float = 0.002
    capmem_dac: float = 0.3
    cadc_lsb: float = 0.6
    madc_lsb: float = 1.0

    @classmethod
    def off(cls) -> "TemporalNoise":
        return cls(0.0, 0.0, 0.0, 0.0, 0.0)


class Emulator:
    """A cycle-approximate BrainScaleS-2 chip.

    ``chip_id`` selects the chip's fixed-pattern noise (same id, same chip);
    ``ideal=True`` gives the design chip without fixed-pattern or temporal noise;
    ``dt_us`` is the integration step in hardware microseconds.
    """

    def __init__(self, chip_id: int = 0, ideal: bool = False, dt_us: float = 0.1,
                 noise: TemporalNoise | None = None):
        if not 0.001 <= dt_us <= 1.0:
            raise ConfigurationError(f"dt_us = {dt_us}: the integration step must lie in 0.001..1 us")
        self.chip_id = int(chip_id)
        self.ideal = bool(ideal)
        self.dt_us = float(dt_us)
        self.fixed_pattern = FixedPattern.ideal() if ideal else FixedPattern.for_chip(self.chip_id)
        self.noise = TemporalNoise.off() if ideal else (noise if noise is not None else TemporalNoise())

    @property
    def identity(self) -> str:
        return "emulator:ideal" if self.ideal else f"emulator:{self.chip_id}"

    def __repr__(self) -> str:
        return f"Emulator(chip_id={self.chip_id}, ideal={self.ideal}, dt_us={self.dt_us})"

    def run(self, config: ChipConfiguration, stimulus: Stimulus, duration_us: float,
            seed: int | None = None) -> RunResult:
        if not np.isfinite(duration_us) or duration_us <= 0:
            raise ConfigurationError(f"duration_us = {duration_us}: a run needs a positive, finite duration")
        config.validate()
        stimulus.validate()
        if len(config.plasticity) > 1:
            raise PlasticityError(
                f"{len(config.plasticity)} PPU programs given; the PPUs run one program per run: "
                f"combine the rules in one kernel")
        seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        rng = np.random.default_rng(seed)
        physics = self._physics(config, rng)
        fanout = build_fanout(config.synapses, config.routing, physics, self.fixed_pattern)
        events = deliver(stimulus, duration_us)
        active = self._active_neurons(config, physics, fanout)
        if config.plasticity:
            return self._run_plastic(config, stimulus.n_trials, duration_us, seed, rng, physics, fanout, events, active)
        return self._integrate(config, stimulus.n_trials, duration_us, seed, rng, physics, fanout, events, active)

    # -- preparation -----------------------------------------------------------------

    def _physics(self, config: ChipConfiguration, rng: np.random.Generator) -> NeuronPhysics:
        capmem_noise = None
        if self.noise.capmem_dac > 0:
            capmem_noise = rng.normal(0.0, self.noise.capmem_dac, (len(NeuronConfig.analog_fields()), N_NEURONS))
        return neuron_physics(config.neurons, self.fixed_pattern, config.synapse_dac_bias, capmem_noise)

    def correlation_sensors(self, config: ChipConfiguration) -> CorrelationSensors:
        """Fresh (discharged) sensors with this chip's per-quadrant amplitude and time
        constant for ``config.correlation`` (:func:`emulator.correlation.sensor_parameters`)."""
        fpn = self.fixed_pattern
        amplitude, tau = sensor_parameters(config.correlation, fpn.correlation_tau_gain, fpn.correlation_tau_exponent,
                                           fpn.correlation_amplitude_gain, fpn.correlation_amplitude_exponent)
        return CorrelationSensors(tau, amplitude)

    def _read_correlation(self, sensors: CorrelationSensors, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """8-bit reads of all sensors (both hemispheres) with this chip's readout deviations."""
        fpn = self.fixed_pattern
        return sensors.readout(fpn.correlation_gain, fpn.correlation_offset_lsb, self.noise.cadc_lsb, rng)

    def _active_neurons(self, config: ChipConfiguration, physics: NeuronPhysics, fanout: FanOut) -> np.ndarray:
        active = np.zeros(N_NEURONS, bool)
        active[fanout.target[fanout.amplitude != 0]] = True
        active |= physics.i_offset_na != 0
        active |= physics.adaptation_enable | physics.exponential_enable
        margin = SPONTANEOUS_MARGIN_SIGMA * self.noise.membrane_mv
        active |= physics.threshold_enable & (physics.v_leak_mv >= physics.v_thresh_mv - margin)
        active[list(config.readout.madc_neurons)] = True
        return np.flatnonzero(active)

    @staticmethod
    def _parameter_matrix(physics: NeuronPhysics, idx: np.ndarray, membrane_noise_mv: float) -> np.ndarray:
        P = np.empty((idx.size, K.N_PARAMS))
        rows = {
            K.V_LEAK: physics.v_leak_mv, K.V_RESET: physics.v_reset_mv, K.V_TH: physics.v_thresh_mv,
            K.C_MEM: physics.c_pf, K.G_LEAK: physics.g_leak_us, K.G_RESET: physics.g_reset_us,
            K.T_REF: physics.t_refrac_us, K.T_CLAMP: physics.t_clamp_us, K.TH_EN: physics.threshold_enable,
            K.TAU_E: physics.tau_syn_us[0], K.TAU_I: physics.tau_syn_us[1], K.COBA_E: physics.coba[0],
            K.COBA_I: physics.coba[1], K.E_REV_E: physics.e_rev_mv[0], K.E_REV_I: physics.e_rev_mv[1],
            K.I_OFF: physics.i_offset_na, K.AD_EN: physics.adaptation_enable, K.TAU_W: physics.tau_w_us,
            K.ADAPT_A: physics.a_us, K.ADAPT_B: physics.b_na, K.V_REF: physics.v_ref_mv,
            K.EX_EN: physics.exponential_enable, K.I_EXP: physics.i_exp_na, K.V_EXP: physics.v_exp_mv,
            K.DELTA_T: physics.delta_t_mv, K.NOISE_MV: np.full(N_NEURONS, membrane_noise_mv),
        }
        for row, values in rows.items():
            P[:, row] = np.asarray(values, float)[idx]
        return P

    # -- integration -------------------------------------------------------------------

    def _prepare(self, config: ChipConfiguration, physics: NeuronPhysics, fanout: FanOut,
                 idx: np.ndarray) -> "_Prepared":
        compact = np.full(N_NEURONS, -1, np.int64)
        compact[idx] = np.arange(idx.size)
        readout = config.readout
        madc_neurons = tuple(int(n) for n in readout.madc_neurons)
        madc_row = {MADCSource.MEMBRANE: K.V, MADCSource.EXCITATORY_SYNIN: K.I_E,
                    MADCSource.INHIBITORY_SYNIN: K.I_I, MADCSource.ADAPTATION: K.W_AD}[MADCSource(readout.madc_source)]
        neurons = config.neurons
        out_label = np.where(neurons.event_output_label >= 0, neurons.event_output_label, np.arange(N_NEURONS))
        source_of_neuron = np.where(neurons.event_output_enable, fanout.source_of_label[out_label], -1)
        return _Prepared(idx, compact, self._parameter_matrix(physics, idx, self.noise.membrane_mv),
                         madc_neurons, compact[list(madc_neurons)].astype(np.int64), madc_row,
                         source_of_neuron.astype(np.int64))

    def _integrate(self, config: ChipConfiguration, n_trials: int, duration_us: float, seed: int,
                   rng: np.random.Generator, physics: NeuronPhysics, fanout: FanOut,
                   events: DeliveredEvents, idx: np.ndarray) -> RunResult:
        prep = self._prepare(config, physics, fanout, idx)
        n_steps = int(np.ceil(duration_us / self.dt_us - 1e-9))
        cadc_times = self._cadc_times(config, duration_us)
        integration = IntegrationState(prep.P, n_trials, trial_seeds(seed, n_trials), self.dt_us,
                                       self.noise.spike_jitter_us)
        out = integration.advance(fanout.remap_targets(prep.compact), prep.source_of_neuron[idx], events.ptr,
                                  events.time_us, fanout.source_of_label[events.label].astype(np.int64), 0.0,
                                  n_steps, prep.madc_index, prep.madc_row, cadc_times)
        correlation = None
        if config.readout.correlation_at_end:
            correlation = self._correlation_after(config, fanout, events, prep, out.spike_time_us, out.spike_index, rng)
        return self._result(config, duration_us, seed, rng, physics, prep, events.dropped, out.spike_time_us,
                            out.spike_index, out.madc, cadc_times, out.cadc, integration.rate_counter,
                            correlation=correlation)

    def _correlation_after(self, config: ChipConfiguration, fanout: FanOut, events: DeliveredEvents,
                           prep: "_Prepared", spike_times: list, spike_indices: list,
                           rng: np.random.Generator) -> CorrelationReads:
        """Sensor reads at the end of a run without a PPU program: the synapses do not
        change during such a run, so each trial's sensors follow from its input events and
        spikes after the integration."""
        routes = SensorRoutes.build(config.routing, config.synapses.row_modes, fanout.source_of_label)
        causal, acausal = [], []
        for b, (times, index) in enumerate(zip(spike_times, spike_indices)):
            order = np.argsort(times, kind="stable")
            post_time, post_neuron = np.asarray(times)[order], prep.idx[np.asarray(index, np.int64)[order]]
            ev = slice(events.ptr[b], events.ptr[b + 1])
            pre_time = np.concatenate([events.time_us[ev], post_time])
            pre_source = np.concatenate([fanout.source_of_label[events.label[ev]].astype(np.int64),
                                         prep.source_of_neuron[post_neuron]])
            by_time = np.argsort(pre_time, kind="stable")
            sensors = self.correlation_sensors(config)
            sensors.accumulate(routes, config.synapses.labels, pre_time[by_time], pre_source[by_time],
                               post_time, post_neuron)
            reads = self._read_correlation(sensors, rng)
            causal.append(reads[0])
            acausal.append(reads[1])
        return CorrelationReads(np.stack(causal), np.stack(acausal))

    def _run_plastic(self, config: ChipConfiguration, n_trials: int, duration_us: float, seed: int,
                     rng: np.random.Generator, physics: NeuronPhysics, fanout: FanOut,
                     events: DeliveredEvents, active: np.ndarray) -> RunResult:
        """Run trial by trial (the PPU makes each trial's synapses diverge), cutting the
        integration at the kernel's timer ticks."""
        from .ppu import PPUPair, call_steps, validate_program  # loads the firmware's host library

        program = config.plasticity[0]
        estimated_cycles = validate_program(program, duration_us, self.dt_us)
        # a kernel may grow any synapse of an enabled input: integrate every such neuron
        idx = np.union1d(active, np.flatnonzero(physics.input_enable.any(axis=0)))
        prep = self._prepare(config, physics, fanout, idx)
        n_steps = int(np.ceil(duration_us / self.dt_us - 1e-9))
        calls = call_steps(program, duration_us, self.dt_us)
        bounds = np.concatenate([[0], calls[calls > 0], [n_steps]])
        cadc_times = self._cadc_times(config, duration_us)
        routes = SensorRoutes.build(config.routing, config.synapses.row_modes, fanout.source_of_label)
        streams = trial_seeds(seed, n_trials)
        spike_times, spike_indices, madc_grids, cadc_values, counters = [], [], [], [], []
        weights_after, labels_after, mailboxes, cycles, events_sent, end_reads = [], [], [], [], [], []
        for b in range(n_trials):
            synapses = config.synapses.copy()
            sensors = self.correlation_sensors(config)
            ppus = PPUPair(program, seed + b)
            integration = IntegrationState(prep.P, 1, streams[b:b + 1], self.dt_us, self.noise.spike_jitter_us)
            ev = slice(events.ptr[b], events.ptr[b + 1])
            ev_time, ev_source = events.time_us[ev], fanout.source_of_label[events.label[ev]].astype(np.int64)
            trial_spikes, trial_index, trial_madc, trial_cadc = [], [], [], []
            built_from = None   # the synapses the fan-out table was last built from
            for k0, k1 in zip(bounds[:-1], bounds[1:]):
                if k0 in calls:
                    sent_time, sent_label = self._ppu_call(ppus, k0 * self.dt_us, synapses, sensors, integration,
                                                           prep, physics, config, rng)
                    if sent_label.size:
                        ev_time, ev_source = self._merge_events(ev_time, ev_source, sent_time,
                                                                fanout.source_of_label[sent_label].astype(np.int64))
                t0, t1 = k0 * self.dt_us, k1 * self.dt_us
                if built_from is None or not (np.array_equal(built_from[0], synapses.weights)
                                              and np.array_equal(built_from[1], synapses.labels)):
                    table = build_fanout(synapses, config.routing, physics, self.fixed_pattern).remap_targets(prep.compact)
                    built_from = (synapses.weights.copy(), synapses.labels.copy())
                seg = (ev_time >= t0) & (ev_time < t1)
                seg_cadc = cadc_times[(cadc_times >= t0) & (cadc_times < t1)]
                out = integration.advance(table, prep.source_of_neuron[idx], np.array([0, seg.sum()]), ev_time[seg],
                                          ev_source[seg], t0, int(k1 - k0), prep.madc_index, prep.madc_row, seg_cadc)
                neurons = idx[out.spike_index[0]]
                pre_time = np.concatenate([ev_time[seg], out.spike_time_us[0]])
                pre_source = np.concatenate([ev_source[seg], prep.source_of_neuron[neurons]])
                order = np.argsort(pre_time, kind="stable")
                sensors.accumulate(routes, synapses.labels, pre_time[order], pre_source[order],
                                   out.spike_time_us[0], neurons)
                trial_spikes.append(out.spike_time_us[0])
                trial_index.append(out.spike_index[0])
                trial_madc.append(out.madc[:, :, (1 if trial_madc else 0):])
                trial_cadc.append(out.cadc)
            spike_times.append(np.concatenate(trial_spikes))
            spike_indices.append(np.concatenate(trial_index))
            madc_grids.append(np.concatenate(trial_madc, axis=2))
            cadc_values.append(np.concatenate(trial_cadc, axis=1))
            counters.append(integration.rate_counter[0])
            weights_after.append(synapses.weights)
            labels_after.append(synapses.labels)
            mailboxes.append(ppus.mailbox)
            cycles.append(ppus.cycles_per_call)
            events_sent.append(ppus.events_sent)
            if config.readout.correlation_at_end:
                end_reads.append(self._read_correlation(sensors, rng))
        measured = [c for trial in cycles for c in trial]
        plasticity = PlasticityOutput(
            weights=np.stack(weights_after), labels=np.stack(labels_after), mailbox=np.stack(mailboxes),
            cycles_per_call={program.kernel: int(max(measured)) if measured else estimated_cycles},
            calls=int(calls.size), events_sent=np.stack(events_sent))
        correlation = None
        if end_reads:
            correlation = CorrelationReads(np.stack([r[0] for r in end_reads]), np.stack([r[1] for r in end_reads]))
        return self._result(config, duration_us, seed, rng, physics, prep, events.dropped, spike_times,
                            spike_indices, np.concatenate(madc_grids), cadc_times, np.concatenate(cadc_values),
                            np.stack(counters), plasticity, correlation)

    def _ppu_call(self, ppus: "PPUPair", time_us: float, synapses: SynapseConfig, sensors: CorrelationSensors,
                  integration: IntegrationState, prep: "_Prepared", physics: NeuronPhysics,
                  config: ChipConfiguration, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Hand the chip state at ``time_us`` to the PPUs and take back what they wrote;
        returns the events they sent (delivery time in hardware us, label)."""
        fpn = self.fixed_pattern
        reads = sensors.readout(fpn.correlation_gain, fpn.correlation_offset_lsb, self.noise.cadc_lsb, rng,
                                ppus.program.hemispheres)
        v = physics.v_leak_mv.copy()
        v[prep.idx] = integration.state[0, K.V]
        membrane = cadc_codes(v, fpn.cadc_offset_lsb, fpn.cadc_gain, config.readout.cadc_channel_offset,
                              self.noise.cadc_lsb, rng)
        counters = np.zeros(N_NEURONS, np.uint8)
        counters[prep.idx] = np.minimum(integration.rate_counter[0], 255)
        sent = ppus.call(time_us, synapses.weights, synapses.labels, sensors, reads, counters, membrane)
        integration.rate_counter[0] = counters[prep.idx]
        return sent

    @staticmethod
    def _merge_events(time_us: np.ndarray, source: np.ndarray, new_time_us: np.ndarray,
                      new_source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One trial's events (time-sorted) with ``new`` ones merged in; at equal times the
        earlier events come first."""
        time_us = np.concatenate([time_us, new_time_us])
        source = np.concatenate([source, new_source])
        order = np.argsort(time_us, kind="stable")
        return time_us[order], source[order]

    def _result(self, config, duration_us, seed, rng, physics, prep, dropped, spike_times, spike_indices,
                madc_grid, cadc_times, cadc_values, rate_counter, plasticity=None, correlation=None) -> RunResult:
        n_trials = len(spike_times)
        counters = np.zeros((n_trials, N_NEURONS), np.uint8)
        counters[:, prep.idx] = np.minimum(rate_counter, 255)
        return RunResult(
            chip_id=self.chip_id, duration_us=float(duration_us), seed=seed,
            spikes=self._spike_record(n_trials, duration_us, prep.idx, spike_times, spike_indices),
            dropped_events=np.asarray(dropped, np.int64),
            madc=self._madc(config.readout, prep.madc_neurons, madc_grid, duration_us, rng) if prep.madc_neurons else None,
            cadc=self._cadc(config.readout, physics, prep.idx, cadc_times, cadc_values, rng) if cadc_times.size else None,
            plasticity=plasticity, rate_counters=counters, correlation=correlation)

    @staticmethod
    def _cadc_times(config: ChipConfiguration, duration_us: float) -> np.ndarray:
        period = config.readout.cadc_period_us
        return np.arange(0.0, duration_us, period) if period else np.zeros(0)

    @staticmethod
    def _spike_record(n_trials, duration_us, idx, spike_times, spike_indices) -> SpikeRecord:
        """Spikes of all trials sorted by (trial, time, neuron). The trials arrive in order
        and each nearly time-sorted, so one stable sort of a combined integer key (trial,
        FPGA tick, neuron) is cheap."""
        trial = np.repeat(np.arange(n_trials, dtype=np.int64), [t.size for t in spike_times])
        ticks = us_to_fpga_ticks(np.concatenate(spike_times))
        neuron = idx[np.concatenate(spike_indices).astype(np.int64)]
        keep = ticks * FPGA_TICK_US < duration_us
        trial, ticks, neuron = trial[keep], ticks[keep], neuron[keep]
        ticks_per_trial = int(ticks.max(initial=0)) + 1
        if n_trials * ticks_per_trial * N_NEURONS < 2**62:
            order = np.argsort((trial * ticks_per_trial + ticks) * N_NEURONS + neuron, kind="stable")
        else:  # the combined key would overflow int64
            order = np.lexsort((neuron, ticks, trial))
        return SpikeRecord(n_trials, trial[order], ticks[order] * FPGA_TICK_US, neuron[order].astype(np.int64))

    def _madc(self, readout, madc_neurons, madc_out, duration_us, rng) -> MADCTrace:
        n_steps = madc_out.shape[2] - 1
        grid = np.arange(n_steps + 1) * self.dt_us
        times = np.arange(0.0, duration_us, 1.0 / MADC_SAMPLE_RATE_MHZ)
        flat = madc_out.reshape(-1, n_steps + 1)
        values = np.stack([np.interp(times, grid, trace) for trace in flat]).reshape(
            madc_out.shape[0], len(madc_neurons), times.size)
        return MADCTrace(madc_neurons, MADCSource(readout.madc_source), times,
                         madc_codes(values, MADCSource(readout.madc_source), self.noise.madc_lsb, rng))

    def _cadc(self, readout, physics, idx, cadc_times, cadc_out, rng) -> CADCSamples:
        n_trials, n_samples = cadc_out.shape[:2]
        fpn = self.fixed_pattern
        if readout.cadc_reference_dac is not None:
            # the shared reference cell has no per-neuron deviation
            v = np.full((n_trials, n_samples, N_NEURONS), nominal_potential_mv(readout.cadc_reference_dac))
        else:
            v = np.broadcast_to(physics.v_leak_mv, (n_trials, n_samples, N_NEURONS)).copy()
            if self.noise.membrane_mv > 0:
                v += rng.normal(0.0, self.noise.membrane_mv, v.shape)
            v[:, :, idx] = cadc_out
        codes = cadc_codes(v, fpn.cadc_offset_lsb, fpn.cadc_gain, readout.cadc_channel_offset,
                           self.noise.cadc_lsb, rng)
        return CADCSamples(cadc_times, codes)

