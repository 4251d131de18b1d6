"""Calibration targets: what every neuron should look like after calibration.

Defaults and allowed ranges follow calix' ``NeuronCalibTarget`` and ``check_target``
(Electronic Visions, github electronicvisions/calix, ``ccalix/neuron_calib_target.cpp``,
``spiking/neuron.py``), the defaults pynn_brainscales' ``CalibHXNeuronCuba`` uses, with
calix' ranges: tau_m from 0.5 us and tau_syn from 0.3 us (below 1 us and 2 us they are
measured on MADC traces, above on CADC traces).
The AdEx targets (``tau_w_us``, ``adaptation_a``, ``adaptation_b``; ``v_exp_onset``) are
optional too (:mod:`calibration.adaptation`, :mod:`calibration.exponential`).
The COBA reversal potentials ``e_rev_exc`` / ``e_rev_inh`` are optional (``None``: the
inputs stay current-based); given, both synaptic inputs run conductance-based. They may
lie beyond the CADC's 8-bit range (pynn_brainscales' ``CalibHXNeuronCoba`` uses 300 and
30), because they are extrapolated from PSP amplitudes (:mod:`calibration.coba`).
Potentials are in CADC LSB (as the calibrated CADC reads them), times in hardware
microseconds, OTA and DAC biases in CapMem DAC units. Every neuron target is a scalar or
an array with one value per neuron, shape (512,); ``synapse_dac_bias`` is a scalar or one
value per quadrant, shape (4,).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emulator.interface import CAPMEM_MAX_DAC, N_NEURONS, N_QUADRANTS, REFRACTORY_CLOCK_MHZ

from .errors import TargetError

Target = float | np.ndarray
ADEX_TARGETS = ("tau_w_us", "adaptation_a", "adaptation_b", "v_exp_onset")


def _target(default: float | None, low: float, high: float, unit: str, doc: str, shape: int = N_NEURONS):
    return field(default=default, metadata={"low": low, "high": high, "unit": unit, "doc": doc, "shape": shape})


@dataclass
class CalibrationTargets:
    """Targets of a neuron calibration (CUBA), each a scalar or one value per neuron."""

    v_rest: Target = _target(80.0, 50.0, 160.0, "CADC LSB", "leak (resting) potential")
    v_reset: Target = _target(70.0, 50.0, 160.0, "CADC LSB", "reset potential")
    v_thresh: Target = _target(125.0, 50.0, 220.0, "CADC LSB", "spike threshold")
    tau_m_us: Target = _target(10.0, 0.5, 60.0, "us", "membrane time constant")
    tau_syn_exc_us: Target = _target(10.0, 0.3, 30.0, "us", "excitatory synaptic time constant")
    tau_syn_inh_us: Target = _target(10.0, 0.3, 30.0, "us", "inhibitory synaptic time constant")
    tau_refrac_us: Target = _target(2.0, 1.0 / REFRACTORY_CLOCK_MHZ[0], 255.0 / REFRACTORY_CLOCK_MHZ[1],
                                    "us", "refractory time")
    i_synin_gm_exc: Target = _target(500.0, 30.0, 800.0, "CapMem DAC",
                                     "excitatory OTA bias whose median strength all neurons get")
    i_synin_gm_inh: Target = _target(500.0, 30.0, 800.0, "CapMem DAC",
                                     "inhibitory OTA bias whose median strength all neurons get")
    synapse_dac_bias: Target = _target(600.0, 0.0, float(CAPMEM_MAX_DAC), "CapMem DAC",
                                       "synapse DAC bias per quadrant", shape=N_QUADRANTS)
    e_rev_exc: Target | None = _target(None, 0.0, 400.0, "CADC LSB",
                                       "excitatory COBA reversal potential; None = CUBA")
    e_rev_inh: Target | None = _target(None, 0.0, 400.0, "CADC LSB",
                                       "inhibitory COBA reversal potential; None = CUBA")
    tau_w_us: Target | None = _target(None, 10.0, 300.0, "us",
                                      "adaptation time constant; None = no adaptation")
    adaptation_a: Target | None = _target(None, 0.0, 0.5, "1/us",
                                          "subthreshold adaptation a / C_m (with tau_w_us)")
    adaptation_b: Target | None = _target(None, 0.0, 5.0, "CADC LSB/us",
                                          "spike-triggered adaptation b / C_m, the jump of dV/dt (with tau_w_us)")
    v_exp_onset: Target | None = _target(None, 50.0, 220.0, "CADC LSB",
                                         "exponential term: V_T - Delta_T, the resting potential above which "
                                         "the neuron fires without input; None = no exponential term")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def optional_names(cls) -> list[str]:
        """Targets whose default is ``None`` (the COBA reversal potentials)."""
        return [f.name for f in dataclasses.fields(cls) if f.default is None]

    @property
    def adaptation(self) -> bool:
        """True when the adaptation current is to be calibrated (tau_w, a, b given)."""
        return self.tau_w_us is not None

    @property
    def coba(self) -> bool:
        """True when the synaptic inputs are to run conductance-based."""
        return self.e_rev_exc is not None

    @classmethod
    def describe(cls, name: str) -> str:
        """``"v_rest in 50..160 CADC LSB (leak (resting) potential)"``."""
        meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
        return f"{name} in {meta['low']:g}..{meta['high']:g} {meta['unit']} ({meta['doc']})"

    def validate(self) -> "CalibrationTargets":
        """Check shapes and ranges; raise :class:`TargetError` naming the allowed range."""
        if (self.e_rev_exc is None) != (self.e_rev_inh is None):
            raise TargetError("give both COBA reversal potentials e_rev_exc and e_rev_inh, or neither (CUBA)")
        if len({self.tau_w_us is None, self.adaptation_a is None, self.adaptation_b is None}) > 1:
            raise TargetError("give all adaptation targets tau_w_us, adaptation_a and adaptation_b, or none")
        for f in dataclasses.fields(self):
            if getattr(self, f.name) is None:
                continue
            value = np.asarray(getattr(self, f.name), dtype=float)
            shape = f.metadata["shape"]
            if value.shape not in ((), (shape,)):
                raise TargetError(
                    f"target {f.name} has shape {value.shape}; give a scalar or one value per "
                    f"{'neuron' if shape == N_NEURONS else 'quadrant'}, shape ({shape},)")
            bad = np.flatnonzero(~np.isfinite(value.ravel()) | (value.ravel() < f.metadata["low"])
                                 | (value.ravel() > f.metadata["high"]))
            if bad.size:
                where = "" if value.ndim == 0 else f" at index {bad[0]} ({bad.size} values)"
                raise TargetError(
                    f"target {f.name} = {value.ravel()[bad[0]]:g}{where} is out of range; allowed is "
                    f"{self.describe(f.name)}")
        return self

    def per_neuron(self, name: str) -> np.ndarray:
        """The target ``name`` broadcast to its full shape ((512,) or (4,) for the DAC bias), float."""
        shape = {f.name: f.metadata["shape"] for f in dataclasses.fields(self)}[name]
        return np.broadcast_to(np.asarray(getattr(self, name), dtype=float), (shape,)).copy()

    def to_dict(self) -> dict:
        """JSON-able form: scalars stay numbers, arrays become lists, unset optional targets None."""
        out = {}
        for name in self.names():
            if getattr(self, name) is None:
                out[name] = None
                continue
            value = np.asarray(getattr(self, name), dtype=float)
            out[name] = float(value) if value.ndim == 0 else value.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "CalibrationTargets":
        """Build from a mapping such as a parsed JSON file; missing names keep their default."""
        if not isinstance(data, dict):
            raise TargetError(f"calibration targets must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.names()))
        if unknown:
            raise TargetError(f"unknown calibration target(s) {unknown}; known are {cls.names()}")
        values = {k: (v if v is None else float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float))
                  for k, v in data.items()}
        return cls(**values).validate()

    @classmethod
    def from_json_file(cls, path: str | Path) -> "CalibrationTargets":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise TargetError(f"cannot read calibration targets from {path}: {err}") from err
        return cls.from_dict(data)

    def key(self) -> str:
        """sha256 of the canonical JSON form: equal targets give equal keys. The AdEx
        targets enter only when given, so calibrations saved before they existed keep
        their ids."""
        data = {k: v for k, v in self.to_dict().items() if not (k in ADEX_TARGETS and v is None)}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CalibrationTargets) and self.to_dict() == other.to_dict()
