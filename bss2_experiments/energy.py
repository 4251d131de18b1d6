"""Energy and latency of inference, measured with instruments: the protocol.

1. **Idle baseline**: one datalog record with the chip configured and idle; ``P_idle`` is
   its mean power (W).
2. **Inferences**: ``N`` inferences of a workload
   (:mod:`bss2_experiments.energy_workloads`) in blocks that each fit one datalog record
   (``pretrigger_samples`` of idle, then the block). Energy per inference is

       E = sum over blocks and samples of (P_k - P_idle) x sample_interval / N      (J)

   - the *dynamic* energy above idle, as the issue defines it. The *total* energy per
   inference, comparable to the published 8.4 uJ (Renner et al. 2024, Goeltz et al. 2021:
   chip power x time per image), is ``E + P_idle x T`` with ``T`` the hardware time of one
   inference; the total power during inference is ``P_idle + E / T``.
3. **Latency** (with an oscilloscope): for each of ``latency_samples`` inferences the scope
   is armed, the inference runs, and the delay from the input marker to the first output
   spike edge is read (s).

Raw traces (idle record, every block's record, latencies, one waveform) are saved with the
result (:func:`bss2_experiments.results.save_result`). The run is **resumable**: after each
step the samples so far are written to ``energy_partial.json``/``.npz`` in the run folder;
if an instrument times out or disconnects, :class:`MeasurementInterrupted` says which
instrument failed doing what, and :func:`measure` on the same folder (``bss2 energy
--resume FOLDER``) continues with the next block or latency sample.

Simulated or modelled instruments get the model's values through *feeds*
(``feed_power(power_watt)`` before each datalog fetch, ``feed_latency(latency_s)`` before
each delay reading); see :mod:`bss2_experiments.instruments.simulation`.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .energy_model import power_trace_watt
from .energy_workloads import InferenceWorkload
from .instruments.errors import InstrumentError
from .instruments.traces import PowerTrace, Waveform

PARTIAL_NAME = "energy_partial"


class PowerMeter(Protocol):
    """A triggered power datalog: a power analyser or the board monitors."""

    name: str

    def configure_datalog(self, sample_interval_s: float, n_samples: int, pretrigger_samples: int = 0,
                          trigger_source: str = "BUS") -> float: ...

    def start_datalog(self) -> None: ...

    def trigger_datalog(self) -> None: ...

    def fetch_datalog(self) -> PowerTrace: ...


class LatencyMeter(Protocol):
    """An oscilloscope triggered by the input marker."""

    name: str

    def configure_trigger(self, level_volt: float = 0.6) -> None: ...

    def arm_single(self) -> None: ...

    def wait_triggered(self, timeout_s: float = 1.0, poll_s: float = 0.005) -> None: ...

    def measure_delay_s(self) -> float: ...

    def fetch_waveform(self, channel: int | None = None) -> Waveform: ...


class Feed(Protocol):
    """Receives the model's values before a simulated or modelled instrument is read."""

    def feed_power(self, power_watt: np.ndarray) -> None: ...

    def feed_latency(self, latency_s: float) -> None: ...


@dataclass(frozen=True)
class ProtocolSettings:
    """How a measurement is taken (s, counts)."""

    experiment: str = "ttfs"
    n_inferences: int = 1000
    sample_interval_s: float = 20.48e-6
    n_samples: int = 4096
    pretrigger_samples: int = 256
    latency_samples: int = 50
    trigger_source: str = "BUS"
    seed: int = 0
    """Seed of the workload (weights, inputs, temporal noise)."""
    chip_id: int = 0
    """Emulated chip the workload runs on."""
    weights: str | None = None
    """``ttfs`` workload: the ``ttfs.npz`` of a ``bss2 run ttfs`` result (None: train a short one)."""
    pretrain_epochs: int | None = None
    """``ttfs`` workload without weights: analytic epochs (None: the workload's default)."""

    def workload_options(self) -> dict:
        """Keyword arguments for :func:`bss2_experiments.energy_workloads.make_workload`."""
        return {k: v for k, v in (("weights", self.weights), ("pretrain_epochs", self.pretrain_epochs))
                if v is not None}


class MeasurementInterrupted(RuntimeError):
    """An instrument failed mid-run; what was measured is saved in ``folder``."""

    def __init__(self, message: str, folder: Path, cause: InstrumentError):
        super().__init__(message)
        self.folder, self.cause = folder, cause


@dataclass
class PartialMeasurement:
    """The samples measured so far, as saved between steps."""

    settings: ProtocolSettings
    sample_interval_s: float | None = None
    idle: PowerTrace | None = None
    blocks: list[PowerTrace] = field(default_factory=list)
    block_counts: list[int] = field(default_factory=list)
    model_dynamic_energy_joule: list[float] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)
    model_latency_s: list[float] = field(default_factory=list)
    waveform: Waveform | None = None
    correct: list[bool] = field(default_factory=list)
    """Per measured inference: classified correctly (workloads with labels only)."""

    @property
    def inferences_done(self) -> int:
        return int(sum(self.block_counts))

    def describe(self) -> str:
        return (f"idle baseline {'saved' if self.idle is not None else 'not measured'}, "
                f"{self.inferences_done}/{self.settings.n_inferences} inferences in {len(self.blocks)} records, "
                f"{len(self.latency_s)}/{self.settings.latency_samples} latency samples")

    def save(self, folder: Path) -> None:
        arrays = {"model_dynamic_energy_joule": np.asarray(self.model_dynamic_energy_joule, float),
                  "latency_s": np.asarray(self.latency_s, float),
                  "model_latency_s": np.asarray(self.model_latency_s, float),
                  "correct": np.asarray(self.correct, bool)}
        for key, trace in [("idle", self.idle)] + [(f"block{b}", t) for b, t in enumerate(self.blocks)]:
            if trace is not None:
                arrays.update({f"{key}_time_s": trace.time_s, f"{key}_voltage_volt": trace.voltage_volt,
                               f"{key}_current_amp": trace.current_amp})
        if self.waveform is not None:
            arrays.update({"waveform_time_s": self.waveform.time_s, "waveform_volt": self.waveform.volt})
        np.savez(folder / f"{PARTIAL_NAME}.npz", **arrays)
        meta = {"settings": dataclasses.asdict(self.settings), "sample_interval_s": self.sample_interval_s,
                "block_counts": self.block_counts, "has_idle": self.idle is not None,
                "waveform_channel": None if self.waveform is None else self.waveform.channel}
        (folder / f"{PARTIAL_NAME}.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "PartialMeasurement":
        meta_path = folder / f"{PARTIAL_NAME}.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{folder} holds no interrupted energy measurement ({meta_path.name} missing); "
                                    f"pass the run folder printed when the measurement stopped")
        meta = json.loads(meta_path.read_text())
        arrays = np.load(folder / f"{PARTIAL_NAME}.npz")
        interval = meta["sample_interval_s"]

        def trace(key: str) -> PowerTrace:
            return PowerTrace(arrays[f"{key}_time_s"], arrays[f"{key}_voltage_volt"], arrays[f"{key}_current_amp"],
                              interval)

        waveform = None
        if meta["waveform_channel"] is not None:
            waveform = Waveform(meta["waveform_channel"], arrays["waveform_time_s"], arrays["waveform_volt"])
        return cls(ProtocolSettings(**meta["settings"]), interval, trace("idle") if meta["has_idle"] else None,
                   [trace(f"block{b}") for b in range(len(meta["block_counts"]))], list(meta["block_counts"]),
                   list(arrays["model_dynamic_energy_joule"]), list(arrays["latency_s"]), list(arrays["model_latency_s"]),
                   waveform, [bool(c) for c in arrays["correct"]] if "correct" in arrays.files else [])


@dataclass(frozen=True)
class EnergyMeasurement:
    """What a finished measurement found (W, J, s) and the raw data it came from."""

    power_idle_watt: float
    power_idle_std_watt: float
    energy_per_inference_joule: float
    """Dynamic: integral of (P - P_idle) over all records / N."""
    hardware_time_per_inference_s: float
    latency_s: np.ndarray
    """Scope delays, one per latency sample (NaN: no output spike); empty without a scope."""
    model_dynamic_energy_per_inference_joule: float
    model_static_power_watt: float
    raw: PartialMeasurement

    @property
    def energy_total_per_inference_joule(self) -> float:
        return self.energy_per_inference_joule + self.power_idle_watt * self.hardware_time_per_inference_s

    @property
    def power_total_watt(self) -> float:
        """Mean power during inference (W)."""
        return self.power_idle_watt + self.energy_per_inference_joule / self.hardware_time_per_inference_s

    @property
    def latency_seconds(self) -> float | None:
        """Median scope delay (s); None without latency samples with an output spike."""
        valid = self.latency_s[np.isfinite(self.latency_s)]
        return float(np.median(valid)) if valid.size else None

    def summary(self) -> dict:
        valid = self.latency_s[np.isfinite(self.latency_s)]
        model_total = self.model_dynamic_energy_per_inference_joule + \
            self.model_static_power_watt * self.hardware_time_per_inference_s
        return {
            "energy_per_inference_joule": self.energy_per_inference_joule,
            "energy_total_per_inference_joule": self.energy_total_per_inference_joule,
            "power_idle_watt": self.power_idle_watt,
            "power_idle_std_watt": self.power_idle_std_watt,
            "power_total_watt": self.power_total_watt,
            "hardware_time_per_inference_seconds": self.hardware_time_per_inference_s,
            "latency_seconds": self.latency_seconds,
            "latency_p05_seconds": float(np.percentile(valid, 5)) if valid.size else None,
            "latency_p95_seconds": float(np.percentile(valid, 95)) if valid.size else None,
            "latency_samples": int(self.latency_s.size),
            "latency_samples_without_spike": int(self.latency_s.size - valid.size),
            "n_inferences": self.raw.inferences_done,
            "model_dynamic_energy_per_inference_joule": self.model_dynamic_energy_per_inference_joule,
            "model_energy_total_per_inference_joule": model_total,
            "model_static_power_watt": self.model_static_power_watt,
            "accuracy": float(np.mean(self.raw.correct)) if self.raw.correct else None,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Raw traces for the result's NPZ file (time axes in s, relative to each trigger)."""
        raw = self.raw
        out = {"idle_time_s": raw.idle.time_s, "idle_power_watt": raw.idle.power_watt,
               "power_time_s": np.concatenate([t.time_s for t in raw.blocks]),
               "power_watt": np.concatenate([t.power_watt for t in raw.blocks]),
               "power_voltage_volt": np.concatenate([t.voltage_volt for t in raw.blocks]),
               "power_current_amp": np.concatenate([t.current_amp for t in raw.blocks]),
               "power_record_index": np.concatenate([np.full(t.time_s.size, b) for b, t in enumerate(raw.blocks)]),
               "record_inferences": np.asarray(raw.block_counts),
               "latency_s": self.latency_s, "model_latency_s": np.asarray(raw.model_latency_s, float),
               "model_dynamic_energy_joule": np.asarray(raw.model_dynamic_energy_joule, float),
               "correct": np.asarray(raw.correct, bool)}
        if raw.waveform is not None:
            out.update({"waveform_time_s": raw.waveform.time_s, "waveform_volt": raw.waveform.volt})
        return out


def integrate_energy_joule(trace: PowerTrace, power_idle_watt: float) -> float:
    """Energy above ``power_idle_watt`` in a record (J): sum of (P_k - P_idle) x interval
    (each sample is the average over its interval)."""
    return float(np.sum(trace.power_watt - power_idle_watt) * trace.sample_interval_s)


def block_capacity(settings: ProtocolSettings, sample_interval_s: float, time_per_inference_s: float) -> int:
    """Inferences that fit in one record after its pre-trigger samples."""
    capacity = int((settings.n_samples - settings.pretrigger_samples) * sample_interval_s / time_per_inference_s
                   + 1e-9)
    if capacity < 1:
        raise ValueError(f"a record of {settings.n_samples} samples at {sample_interval_s:g} s holds no inference of "
                         f"{time_per_inference_s:g} s after {settings.pretrigger_samples} pre-trigger samples; "
                         f"record more samples or a longer interval")
    return capacity


def measure(workload: InferenceWorkload, meter: PowerMeter, folder: Path, settings: ProtocolSettings | None = None,
            scope: LatencyMeter | None = None, feeds: Sequence[Feed] = (), progress=None) -> EnergyMeasurement:
    """Run the protocol (module doc) into ``folder``; continue the partial measurement
    there if there is one (its settings win). ``progress(done, total, what)`` is called after each step."""
    folder = Path(folder)
    partial_exists = (folder / f"{PARTIAL_NAME}.json").exists()
    state = PartialMeasurement.load(folder) if partial_exists else PartialMeasurement(settings or ProtocolSettings())
    settings = state.settings
    if settings.experiment != workload.name:
        raise ValueError(f"{folder} holds a measurement of {settings.experiment!r}, not {workload.name!r}")
    static_watt = workload.model.static_power_watt
    report = progress or (lambda done, total, what: None)
    try:
        interval_s = meter.configure_datalog(settings.sample_interval_s, settings.n_samples, settings.pretrigger_samples,
                                             settings.trigger_source)
        if state.sample_interval_s is not None and not np.isclose(interval_s, state.sample_interval_s):
            raise ValueError(f"the power meter now samples every {interval_s:g} s, the interrupted run every "
                             f"{state.sample_interval_s:g} s: resume with the same instrument")
        state.sample_interval_s = interval_s
        if state.idle is None:
            meter.start_datalog()
            meter.trigger_datalog()
            for feed in feeds:
                feed.feed_power(np.full(settings.n_samples, static_watt))
            state.idle = meter.fetch_datalog()
            state.save(folder)
        while state.inferences_done < settings.n_inferences:
            _measure_block(workload, meter, state, feeds, static_watt)
            state.save(folder)
            report(state.inferences_done, settings.n_inferences, "inferences")
        if scope is not None and len(state.latency_s) < settings.latency_samples:
            scope.configure_trigger()
            while len(state.latency_s) < settings.latency_samples:
                _measure_latency(workload, scope, state, feeds)
                state.save(folder)
                report(len(state.latency_s), settings.latency_samples, "latency samples")
        if scope is not None and state.waveform is None:
            state.waveform = scope.fetch_waveform()      # the last latency sample's spike channel
            state.save(folder)
    except InstrumentError as err:
        state.save(folder)
        raise MeasurementInterrupted(
            f"{err.instrument} failed while {err.action}: {err}\nSaved so far ({state.describe()}) in {folder}; "
            f"fix the instrument and continue with: bss2 energy ... --resume {folder}", folder, err) from err
    return _evaluate(state, workload)


def _measure_block(workload: InferenceWorkload, meter: PowerMeter, state: PartialMeasurement,
                   feeds: Sequence[Feed], static_watt: float) -> None:
    settings = state.settings
    done = state.inferences_done
    time_per_inference_s = workload.hardware_time_per_inference_s
    capacity = block_capacity(settings, state.sample_interval_s, time_per_inference_s)
    count = min(capacity, settings.n_inferences - done)
    meter.start_datalog()
    meter.trigger_datalog()
    batch = workload.run(count, start=done)
    for feed in feeds:
        feed.feed_power(power_trace_watt(batch.energy.dynamic_energy_joule, time_per_inference_s, static_watt,
                                         state.sample_interval_s, settings.n_samples, settings.pretrigger_samples))
    state.blocks.append(meter.fetch_datalog())
    state.block_counts.append(count)
    state.model_dynamic_energy_joule.extend(np.asarray(batch.energy.dynamic_energy_joule, float).tolist())
    if batch.correct is not None:
        state.correct.extend(bool(c) for c in batch.correct)


def _measure_latency(workload: InferenceWorkload, scope: LatencyMeter, state: PartialMeasurement,
                     feeds: Sequence[Feed]) -> None:
    scope.arm_single()
    batch = workload.run(1, start=len(state.latency_s))
    for feed in feeds:
        feed.feed_latency(float(batch.latency_s[0]))
    scope.wait_triggered()
    state.latency_s.append(scope.measure_delay_s())
    state.model_latency_s.append(float(batch.latency_s[0]))


def _evaluate(state: PartialMeasurement, workload: InferenceWorkload) -> EnergyMeasurement:
    idle_watt = float(np.mean(state.idle.power_watt))
    energy_joule = sum(integrate_energy_joule(trace, idle_watt) for trace in state.blocks)
    return EnergyMeasurement(
        power_idle_watt=idle_watt, power_idle_std_watt=float(np.std(state.idle.power_watt)),
        energy_per_inference_joule=energy_joule / state.inferences_done,
        hardware_time_per_inference_s=workload.hardware_time_per_inference_s,
        latency_s=np.asarray(state.latency_s, float),
        model_dynamic_energy_per_inference_joule=float(np.mean(state.model_dynamic_energy_joule)),
        model_static_power_watt=workload.model.static_power_watt, raw=state)


def plot(measurement: EnergyMeasurement, title: str = ""):
    """Power over time with the inference windows marked, and the latency histogram."""
    import matplotlib.pyplot as plt

    raw = measurement.raw
    has_latency = bool(np.isfinite(measurement.latency_s).any())
    fig, axes = plt.subplots(1, 2 if has_latency else 1, figsize=(11 if has_latency else 8, 3.6),
                             squeeze=False, gridspec_kw={"width_ratios": [2, 1] if has_latency else [1]})
    ax = axes[0, 0]
    offset_s = 0.0
    for b, (trace, count) in enumerate(zip(raw.blocks, raw.block_counts)):
        t_ms = (trace.time_s + offset_s) * 1e3
        ax.step(t_ms, trace.power_watt * 1e3, where="post", lw=0.8, color="tab:blue",
                label="power (datalog)" if b == 0 else None)
        window = offset_s + np.array([0.0, count * measurement.hardware_time_per_inference_s])
        ax.axvspan(*(window * 1e3), color="tab:orange", alpha=0.25, label="inference window" if b == 0 else None)
        offset_s += trace.time_s[-1] - trace.time_s[0] + 2 * trace.sample_interval_s
    ax.axhline(measurement.power_idle_watt * 1e3, color="k", ls="--", lw=0.8, label="idle baseline")
    ax.set_xlabel("time from first trigger (ms; records placed one after the other)")
    ax.set_ylabel("power (mW)")
    ax.set_title(title or f"{measurement.energy_per_inference_joule * 1e6:.3f} uJ per inference above idle")
    ax.legend(loc="upper right", fontsize=8)
    if has_latency:
        valid = measurement.latency_s[np.isfinite(measurement.latency_s)]
        axes[0, 1].hist(valid * 1e6, bins=20, color="tab:green")
        axes[0, 1].set_xlabel("marker -> output spike (us)")
        axes[0, 1].set_ylabel("inferences")
    fig.tight_layout()
    return fig
