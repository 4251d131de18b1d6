"""Parameters of the Pong R-STDP experiment (Wunderlich et al. 2019, Front. Neurosci. 13:260)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ppu_firmware.host import cycles_to_us, estimate_cycles
from ppu_firmware.registry import kernel_spec

UNITS = 32
"""Input units (ball cells) = output neurons (paddle target cells), as in the paper."""


class ConfigError(ValueError):
    """A parameter of :class:`PongConfig` is out of range; the message names the fix."""


@dataclass(frozen=True)
class PongConfig:
    """One training run. Times are biological ms (= hardware us on the chip).

    The paper polls the network for 200 ms per iteration (20 input spikes at 10 ms ISI) and
    explores with background current noise, so that the output rates are graded and noisy.
    Here the PPU sends ``ball_events`` events per timer call (delivered together when the
    call ends), one call every ``period_ms`` (above the ~25 us learning call), ``window``
    calls per iteration. The default is one call per iteration with a graded rate code:
    tau_syn 10 us, reset 10 LSB below threshold and a 1 us refractory time turn one call's
    4 events into a spike count that grows with the weight (weight 7: ~2 spikes, 60: ~12),
    so the rate counters rank the neurons by weight and seldom tie. With tau_syn 1.8 us a
    neuron spiked at most once per call: counts saturated at the window, neighbouring
    neurons tied and got identical updates (mean expected reward ~0.5 after 3000
    iterations of 8 calls). One call per iteration is also ~8x cheaper to emulate.
    Learning: with ``chosen_only`` (default) only the chosen output unit's synapse of the
    ball row changes, dw = round(0.125 (R - Rbar_k) corr) on that one synapse: a documented
    deviation from the paper's update of the whole row, where the weight change grows with
    each neuron's rate, so a more excitable neighbour of the right cell gained as much as
    the right one whenever the right one was rewarded; a third of the rows ended on the
    neighbouring cell (reward 0.7) and the mean expected reward stayed at 0.72 (3 seeds).
    Updating the chosen unit only is the REINFORCE-with-baseline reading of the rule
    (Williams 1992, Mach. Learn. 8:229): the unit that acted gets the credit. Exploration:
    each noise unit (weight ``noise_weight``; > 63 spreads over several synapses) fires in a
    call with probability p/256, p falling by one every ``noise_decay`` iterations from
    ``noise`` to ``noise_floor`` (kernel mailbox).
    One noise event of weight 252 drives a neuron as hard as the 4 ball events at weight 63,
    so exploration can still overturn a learned winner (a neighbour that won early; at
    weight 80 it could not, and the chosen-unit update alone stayed at 0.85), and the decay
    makes late play nearly greedy, so Rbar_k reaches the policy's value instead of being
    capped by exploration. Defaults measured: 0.94 (3 seeds, 20000 iterations, chip 0).
    The correlation sensors are calibrated to ``correlation_amplitude_lsb`` per pair and
    ``correlation_tau_us`` (spanning the spikes of one call); ``eta`` is the kernel's Q8.7
    factor (``pong.h``: dw = round(f (c - o) / 256), f = eta (R - Rbar)), the paper's
    round(0.125 (R - Rbar) corr) on the sensors' own scale. Initial weights N(7, 1) put
    the neurons where the paper's N(14, 2) put its (~2 spikes per call).
    """

    iterations: int = 20000
    seed: int = 0
    chip_id: int = 0
    calibrated: bool = True
    window: int = 1
    period_ms: float = 28.0
    ball_events: int = 4
    noise: int = 32
    noise_floor: int = 4
    noise_decay: int = 500
    noise_weight: int = 252
    chosen_only: bool = True
    eta: int = 64
    mean_shift: int = 1
    causal_offset: int = 4
    weight_mean: float = 7.0
    weight_std: float = 1.0
    curve_every: int = 50
    timestep_ms: float = 0.2
    correlation_amplitude_lsb: float = 1.0
    correlation_tau_us: float = 20.0
    neuron: dict = field(default_factory=lambda: {
        "v_rest": 80.0, "v_reset": 100.0, "v_thresh": 110.0, "tau_m": 28.53, "tau_syn_E": 10.0,
        "tau_syn_I": 10.0, "tau_refrac": 1.0, "i_synin_gm_E": 800.0, "synapse_dac_bias": 1000.0})

    def __post_init__(self) -> None:
        spec = kernel_spec("pong")
        checks = [
            ("iterations", 1, 512 * 65535), ("window", 1, 255), ("ball_events", 0, 16), ("noise", 0, 255),
            ("noise_floor", 0, 255), ("noise_decay", 0, 65535), ("noise_weight", 0, 252), ("eta", 0, 32767),
            ("mean_shift", 0, 15), ("causal_offset", 0, 255), ("curve_every", 1, 65535),
        ]
        for name, low, high in checks:
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"PongConfig.{name} = {value!r}: must be an integer in {low}..{high}")
        if not isinstance(self.chosen_only, bool):
            raise ConfigError(f"PongConfig.chosen_only = {self.chosen_only!r}: must be True (learn on the chosen "
                              f"unit only) or False (the whole ball row, as the paper)")
        if self.iterations // self.curve_every > 512:
            raise ConfigError(f"{self.iterations} iterations at curve_every={self.curve_every} give more than the "
                              f"kernel's 512 learning-curve samples; raise curve_every to at least "
                              f"{-(-self.iterations // 512)}")
        if not 0.2 <= self.correlation_amplitude_lsb <= 2.0 or not 2.0 <= self.correlation_tau_us <= 30.0:
            raise ConfigError(f"correlation sensors {self.correlation_amplitude_lsb} LSB per pair / "
                              f"{self.correlation_tau_us} us: calibratable targets are 0.2..2.0 LSB and 2..30 us")
        if not 0 <= self.weight_mean <= 63 or self.weight_std < 0:
            raise ConfigError(f"initial weights N({self.weight_mean}, {self.weight_std}): the mean must lie in "
                              f"0..63 (6-bit weights) and the std be >= 0")
        call_ms = float(cycles_to_us(estimate_cycles(spec.name, self.kernel_parameters())))
        if self.period_ms <= call_ms:
            raise ConfigError(f"period_ms = {self.period_ms}: the PPU's learning call takes {call_ms:.1f} us "
                              f"(= ms at the PyNN level); use a period above {call_ms:.1f}")

    def kernel_parameters(self) -> dict:
        """The ``pong`` kernel's scalar parameters (labels, rows and columns come from the mapping)."""
        return {"window": self.window, "ball_events": self.ball_events, "noise": self.noise, "eta": self.eta,
                "mean_shift": self.mean_shift, "curve_every": self.curve_every,
                "causal_offset": self.causal_offset, "noise_floor": self.noise_floor,
                "noise_decay": self.noise_decay, "chosen_only": int(self.chosen_only)}

    @property
    def num_calls(self) -> int:
        """Timer calls: ``window`` per iteration plus the call that scores the last one."""
        return self.iterations * self.window + 1

    @property
    def duration_ms(self) -> float:
        return self.period_ms * (self.num_calls + 1)

    def as_dict(self) -> dict:
        return asdict(self)
