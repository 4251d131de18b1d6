"""A calibration result: plain data that can be applied to a chip configuration."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emulator.interface import ChipConfiguration

from .stats import spread
from .targets import CalibrationTargets

SWITCHES_ON = ("threshold_enable", "excitatory_input_enable", "inhibitory_input_enable")
"""Switches a calibrated CUBA neuron has on (as in calix' result): fires and takes input."""
SWITCHES_OFF = ("excitatory_input_enable_coba_mode", "inhibitory_input_enable_coba_mode",
                "adaptation_enable", "exponential_enable")
"""Off unless the calibration stored them (COBA or AdEx targets), since ``dac`` is applied after."""


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibration.calibrate` for one chip and one set of targets.

    ``dac``: NeuronConfig field -> (512,) int (CapMem DAC values, digital settings and
    switches as 0/1). ``achieved``: quantity -> (512,) float, measured after calibration:
    ``leak``, ``reset``, ``threshold`` (CADC LSB), ``tau_m``, ``tau_syn_exc``,
    ``tau_syn_inh``, ``tau_refrac`` (hardware us), ``syn_strength_exc``/``_inh`` (jump of
    dV/dt at PSP onset per weight LSB: CADC LSB per hardware us, i.e. I0 / C_m),
    ``cadc_reference_read`` (CADC LSB), ``i_offset_per_dac`` (dV/dt of the constant-current
    source per DAC LSB, CADC LSB per hardware us; characterised, no target); with COBA
targets also ``e_rev_exc``/``_inh`` (extrapolated reversal potentials, CADC LSB) and
``coba_strength_exc``/``_inh`` (g / C at PSP onset per weight LSB, 1 / hardware us; the
onset slope is that times ``e_rev - V``); with adaptation targets ``tau_w`` (us),
``adaptation_a`` (a / C, 1 / us), ``adaptation_b`` (b / C, CADC LSB per us), with
``v_exp_onset`` the reached onset potential (CADC LSB). ``success``: quantity -> (512,) bool.
    ``before``: quantity -> (512,) float, measured with every neuron at the median
    calibrated parameter (calix' "uncalibrated"). ``std_before``/``std_after``: trimmed
    spread across neurons of ``before`` / ``achieved``.
    """

    chip_identity: str
    targets: CalibrationTargets
    dac: dict[str, np.ndarray]
    achieved: dict[str, np.ndarray]
    success: dict[str, np.ndarray]
    before: dict[str, np.ndarray]
    cadc_channel_offset: np.ndarray
    synapse_dac_bias: np.ndarray
    suite_version: str
    created_utc: str
    seconds: float
    n_runs: int = 0
    _id: str | None = field(default=None, repr=False, compare=False)

    @property
    def calibration_id(self) -> str:
        """Content hash (16 hex digits) of chip identity, targets and every calibrated value."""
        if self._id is None:
            digest = hashlib.sha256()
            digest.update(self.chip_identity.encode())
            digest.update(self.targets.key().encode())
            for name in sorted(self.dac):
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(self.dac[name], dtype="<i4").tobytes())
            digest.update(np.ascontiguousarray(self.cadc_channel_offset, dtype="<i4").tobytes())
            digest.update(np.ascontiguousarray(self.synapse_dac_bias, dtype="<i4").tobytes())
            self._id = digest.hexdigest()[:16]
        return self._id

    @property
    def std_before(self) -> dict[str, float]:
        return {q: spread(v) for q, v in self.before.items()}

    @property
    def std_after(self) -> dict[str, float]:
        return {q: spread(self.achieved[q]) for q in self.before}

    @property
    def failed_neurons(self) -> np.ndarray:
        """Sorted indices of neurons that missed at least one target."""
        ok = np.logical_and.reduce([np.asarray(v, dtype=bool) for v in self.success.values()])
        return np.flatnonzero(~ok)

    def failures(self) -> dict[str, np.ndarray]:
        """Quantity -> indices of the neurons that missed it (only quantities with failures)."""
        return {q: np.flatnonzero(~v) for q, v in self.success.items() if not np.all(v)}

    def apply(self, config: ChipConfiguration | None = None) -> ChipConfiguration:
        """A copy of ``config`` (default: a fresh one) with the calibrated values, switches,
        CADC channel offsets and synapse DAC bias."""
        out = (config if config is not None else ChipConfiguration()).copy()
        for name in SWITCHES_ON:
            getattr(out.neurons, name)[:] = True
        for name in SWITCHES_OFF:
            getattr(out.neurons, name)[:] = False
        for name, values in self.dac.items():
            current = getattr(out.neurons, name)
            current[:] = np.asarray(values).astype(current.dtype)
        out.readout.cadc_channel_offset = self.cadc_channel_offset.astype(np.int32).copy()
        out.synapse_dac_bias = self.synapse_dac_bias.astype(np.int32).copy()
        return out

    def summary(self) -> dict:
        """JSON-able overview: identity, id, spreads, failures, time."""
        return {
            "chip_identity": self.chip_identity,
            "calibration_id": self.calibration_id,
            "std_before": dict(self.std_before),
            "std_after": dict(self.std_after),
            "failed_neurons": self.failed_neurons.tolist(),
            "seconds": self.seconds,
        }

    def save(self, path: str | Path) -> Path:
        """Write the versioned, checksummed file (see :mod:`calibration.storage`)."""
        from .storage import save
        return save(self, path)

    @classmethod
    def load(cls, path: str | Path, chip_identity: str | None = None) -> "CalibrationResult":
        """Read a saved result; with ``chip_identity`` refuse another chip's file."""
        from .storage import load
        return load(path, chip_identity)
