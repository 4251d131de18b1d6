"""``bss2 run sampling``: a 5-unit Boltzmann machine sampled and trained on the emulated chip.

Steps: draw a random target machine; calibrate every sampler's activation function; translate
the target to hardware weights and resting potentials and sample it (untrained); train in
the loop until the sampled distribution matches; sample long runs of the untrained and the
trained network; run the untrained translation on NEST (with its own activation
calibration) for comparison. Reproduces the experiment of seed Figure 16D (Billaudelle et
al., ISCAS 2020): D_KL(target || sampled) against training iteration and sampling time.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import boltzmann as bm
from .activation import ActivationFits, calibrate_activation
from .network import SamplerSetup, SamplingNetwork
from .training import TrainingConfig, TrainingHistory, train
from .translation import Translation


@dataclass(frozen=True)
class SamplingConfig:
    n_units: int = 5
    seed: int = 0
    """Target machine, background noise, the chip's temporal noise."""
    chip_id: int = 0
    ideal: bool = False
    backend: str = "emulator"
    target_scale: float = 0.4
    """Std of the random target's weights and biases (Boltzmann units)."""
    training: TrainingConfig = TrainingConfig()
    activation_levels: tuple[float, float, int] = (112.0, 140.0, 15)
    """Resting potentials swept for the activation functions: (first, last, count) in CADC LSB."""
    activation_trials: int = 20
    activation_duration_us: float = 500.0
    eval_trials: int = 100
    eval_duration_us: float = 2000.0
    """The final (long) sampling runs: trials x hardware us."""
    reference: str | None = "nest"
    """Reference simulator for the untrained network (None: skip)."""
    reference_activation_trials: int = 8
    reference_eval_trials: int = 30
    """NEST integrates ~1 ms of biological time per ms of wall time here: shorter runs there."""
    setup: SamplerSetup = SamplerSetup()

    def validate(self) -> "SamplingConfig":
        if not 2 <= self.n_units <= 12:
            raise ValueError(f"n_units = {self.n_units}: use 2..12 (the 2**n states are enumerated)")
        if self.training.iterations < 0:
            raise ValueError("training.iterations must be >= 0")
        return self


@dataclass
class SamplingResult:
    config: SamplingConfig
    target_weights: np.ndarray
    target_biases: np.ndarray
    target: np.ndarray
    fits: ActivationFits
    untrained: np.ndarray
    """Distribution sampled on the chip with the translated target (no training)."""
    trained: np.ndarray
    trained_weights: np.ndarray
    trained_biases: np.ndarray
    history: TrainingHistory
    dkl_vs_time: dict[str, np.ndarray]
    """name -> (sampled hardware us, D_KL) over growing prefixes of the long runs."""
    hardware_weights: np.ndarray
    """The trained network as the chip holds it: integer weights [post, pre]."""
    leak_dac: np.ndarray
    reference: np.ndarray | None = None
    reference_fits: ActivationFits | None = None
    chip_identity: str | None = None
    calibration_id: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def dkl_untrained(self) -> float:
        return bm.dkl(self.target, self.untrained)

    @property
    def dkl_final(self) -> float:
        return bm.dkl(self.target, self.trained)

    def summary(self) -> dict:
        out = {
            "dkl_final": self.dkl_final, "dkl_untrained": self.dkl_untrained,
            "dkl_first_iteration": self.history.dkl[0] if self.history.dkl else None,
            "iterations": len(self.history.dkl), "n_units": self.config.n_units,
            "activation_v05_cadc": self.fits.v05.tolist(), "activation_alpha_cadc": self.fits.alpha.tolist(),
            "sampled_us_final": float(self.dkl_vs_time["trained"][0][-1]),
            "chip_identity": self.chip_identity, "calibration_id": self.calibration_id,
            "seconds": self.seconds, "config": asdict(self.config),
        }
        if self.reference is not None:
            out[f"dkl_{self.config.reference}_untrained"] = bm.dkl(self.target, self.reference)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"target": self.target, "target_weights": self.target_weights, "target_biases": self.target_biases,
               "untrained": self.untrained, "trained": self.trained, "trained_weights": self.trained_weights,
               "trained_biases": self.trained_biases, "dkl_per_iteration": np.array(self.history.dkl),
               "activation_v_rest": self.fits.v_rest, "activation_p_on": self.fits.p_on,
               "activation_v05": self.fits.v05, "activation_alpha": self.fits.alpha,
               "hardware_weights": self.hardware_weights, "leak_dac": self.leak_dac}
        for name, (t, d) in self.dkl_vs_time.items():
            out[f"dkl_vs_time_{name}"] = np.stack([t, d])
        if self.reference is not None:
            out["reference"] = self.reference
        return out

    def save(self, base: str, provenance) -> Path:
        from bss2_experiments.results import run_folder, save_result
        from .plots import figure
        folder = run_folder(base, "sampling")
        save_result(folder, "sampling", provenance, self.summary(), self.arrays(), figure(self))
        return folder


def dkl_vs_time(target: np.ndarray, states: np.ndarray, sample_period_us: float, points: int = 12) -> tuple:
    """D_KL of growing prefixes of ``states`` (consecutive samples): (sampled us, D_KL)."""
    counts = np.unique(np.geomspace(min(200, states.shape[0]), states.shape[0], points).astype(int))
    return counts * sample_period_us, np.array([bm.dkl(target, bm.histogram(states[:c])) for c in counts])


def build_network(config: SamplingConfig, backend: str, progress: bool, n_units: int | None = None,
                  **kwargs) -> tuple:
    """A sampling network of ``n_units`` (default ``config.n_units``) samplers with calibrated
    activation functions, and its translation (also used by the Bell and TFIM experiments)."""
    net = SamplingNetwork(n_units or config.n_units, backend, config.chip_id, config.seed, config.setup,
                          config.ideal, progress=progress, **kwargs)
    first, last, count = config.activation_levels
    fits = calibrate_activation(net, np.linspace(first, last, int(count)), config.activation_trials,
                                config.activation_duration_us, progress)
    return net, fits, Translation.build(fits, net.properties)


def run(config: SamplingConfig = SamplingConfig(), progress: bool = True) -> SamplingResult:
    config.validate()
    rng = np.random.default_rng(config.seed)
    w_target, b_target = bm.random_boltzmann_machine(config.n_units, rng, config.target_scale, config.target_scale)
    target = bm.boltzmann_distribution(w_target, b_target)
    seconds = {}
    start = time.perf_counter()
    net, fits, translation = build_network(config, config.backend, progress)
    seconds["activation_calibration"] = time.perf_counter() - start
    period = config.setup.sample_period_us

    def long_run(w, b):
        return net.sample(*translation.to_hardware(w, b), config.eval_trials, config.eval_duration_us).states

    start = time.perf_counter()
    untrained_states = long_run(w_target, b_target)
    w, b, history = train(net, translation, target, w_target, b_target, config.training, progress)
    seconds["training"] = time.perf_counter() - start
    trained_states = long_run(w, b)
    w_hw, v_rest = translation.to_hardware(w, b)
    m = config.setup.weight_max
    result = SamplingResult(
        config, w_target, b_target, target, fits, bm.histogram(untrained_states), bm.histogram(trained_states), w, b,
        history, {"untrained": dkl_vs_time(target, untrained_states, period),
                  "trained": dkl_vs_time(target, trained_states, period)},
        np.clip(np.rint(w_hw), -m, m), net.leak_dac(v_rest) if net.on_chip else v_rest,
        chip_identity=net.chip_identity,
        calibration_id=net.calibration.calibration_id if net.calibration is not None else None, seconds=seconds)
    if config.reference:
        start = time.perf_counter()
        strength = float(np.median(net.properties.syn_strength_exc))
        light = dataclasses.replace(config, activation_trials=config.reference_activation_trials)
        ref, ref_fits, ref_translation = build_network(light, config.reference, progress, syn_strength=strength)
        ref_states = ref.sample(*ref_translation.to_hardware(w_target, b_target), config.reference_eval_trials,
                                config.eval_duration_us).states
        result.reference, result.reference_fits = bm.histogram(ref_states), ref_fits
        result.dkl_vs_time[config.reference] = dkl_vs_time(target, ref_states, period)
        seconds["reference"] = time.perf_counter() - start
    return result
