"""Rate-based reference of the chip's central-complex circuit, in NumPy (no chip).

The same populations, connectivity (:mod:`.anatomy`) and global gains (:class:`Gains`)
as the spiking network of :mod:`.chip`, with rates in [0, 1] and the clipped-linear
transfer ``f(x) = clip(x, 0, 1)`` of a spiking neuron's count per step. Per step
(Stone et al. 2017, Curr. Biol. 27:3069, rate model ``cx_rate.py``; subtractive gating
as in their Pontine variant, which maps onto excitatory and inhibitory synapse rows):

* TL2 = relu(cos(theta - pref)) (the compass events the PPU sends),
  CL1 = f(1 - TL2) (tonic, inhibited by TL2),
  TB1 = f(cl1_gain * CL1 - tb1_ring * W_TB1 TB1_prev) (ring attractor);
* flow = velocity on the +-45 degree TN axes, TN2 = f(flow), TN1 = f((1 - flow) / 2);
* CPU4 integrand c = f(TN2 - TN1 - TB1) and the memory m += memory_gain (c - mean over the
  side's 8 columns), clipped to [-1, 1] (zero-mean update, Stone et al.'s holonomic CPU4);
* CPU1 = f(memory_weight (1 + m_shifted) / 2 - tb1_cpu1 TB1), motor = sum(left) - sum(right),
  rotation = turn_gain * motor (radians).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from . import anatomy, world


@dataclass(frozen=True)
class Gains:
    """Global gains shared by the rate model and the chip (the CMA-ES search space)."""

    memory_gain: float = 0.005
    """memory change per step per unit of CPU4 integrand (memory range [-1, 1])"""
    memory_weight: float = 1.0
    """drive of CPU1 by the memory (CPU4 -> CPU1)"""
    tb1_cpu1: float = 1.0
    """TB1 -> CPU1 inhibition"""
    turn_gain: float = 0.5
    """rotation (rad) per unit of motor signal"""

    BOUNDS = {"memory_gain": (0.0005, 0.2), "memory_weight": (0.1, 3.0), "tb1_cpu1": (0.1, 3.0),
              "turn_gain": (0.02, 1.0)}

    def __post_init__(self) -> None:
        for f in fields(self):
            low, high = self.BOUNDS[f.name]
            value = getattr(self, f.name)
            if not (np.isfinite(value) and low <= value <= high):
                raise ValueError(f"gain {f.name} = {value} is outside {low}..{high}")

    def as_dict(self) -> dict:
        return asdict(self)


CL1_GAIN = 1.0
TB1_RING = 0.5


def _f(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)


def flow(heading: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """Optic flow [left, right] (n, 2): velocity on the axes at heading +- 45 degrees."""
    out = np.empty(velocity.shape)
    for side, sign in enumerate((1.0, -1.0)):
        a = heading + sign * anatomy.TN_PREFERRED_RAD
        out[:, side] = np.sin(a) * velocity[:, 0] + np.cos(a) * velocity[:, 1]
    return out


class RateModel:
    """The circuit for ``n`` bees at once; ``noise`` adds Gaussian noise (sd, rate units)
    to every population's rate, as in Stone et al.'s model (0.1 there)."""

    def __init__(self, gains: Gains, n: int, rng: np.random.Generator, noise: float = 0.0):
        self.gains = gains
        self.rng = rng
        self.noise = noise
        self.tb1 = np.zeros((n, anatomy.N_TB1))
        self.memory = np.zeros((n, anatomy.N_CPU4))
        self.W_cl1_tb1 = anatomy.cl1_tb1() / 2.0
        self.W_tb1_tb1 = anatomy.tb1_tb1()
        self.W_tb1_cpu4 = anatomy.tb1_cpu4()
        self.W_tn_cpu4 = anatomy.tn_cpu4()
        self.W_cpu4_cpu1 = anatomy.cpu4_cpu1()
        self.W_tb1_cpu1 = anatomy.tb1_cpu1()
        self.W_motor = anatomy.cpu1_motor()

    def _noisy(self, x: np.ndarray) -> np.ndarray:
        if self.noise > 0:
            x = x + self.rng.normal(0.0, self.noise, x.shape)
        return _f(x)

    def step(self, heading: np.ndarray, velocity: np.ndarray) -> np.ndarray:
        """Sense, update the memory, steer: returns the rotation (n,) in radians."""
        g = self.gains
        tl2 = self._noisy(np.cos(heading[:, None] - anatomy.PREFERRED_HEADING_RAD[None, :]))
        cl1 = self._noisy(1.0 - tl2)
        self.tb1 = self._noisy(CL1_GAIN * cl1 @ self.W_cl1_tb1.T - TB1_RING * self.tb1 @ self.W_tb1_tb1.T)
        fl = flow(heading, velocity)
        tn2 = self._noisy(fl)
        tn1 = self._noisy((1.0 - fl) / 2.0)
        c = self._noisy((tn2 - tn1) @ self.W_tn_cpu4.T - self.tb1 @ self.W_tb1_cpu4.T)
        side_mean = np.repeat(c.reshape(-1, 2, 8).mean(axis=2), 8, axis=1)
        self.memory = np.clip(self.memory + g.memory_gain * (c - side_mean), -1.0, 1.0)
        cpu1 = self._noisy(g.memory_weight * (1.0 + self.memory) / 2.0 @ self.W_cpu4_cpu1.T
                           - g.tb1_cpu1 * self.tb1 @ self.W_tb1_cpu1.T)
        motor = cpu1 @ self.W_motor.T
        return g.turn_gain * (motor[:, 0] - motor[:, 1])

    def home_vector(self) -> tuple[np.ndarray, np.ndarray]:
        """The bee's position as the memory holds it (heading convention, radians; the nest
        lies opposite) and its amplitude (memory units):
        both CPU4 halves shifted by one column to cancel the +-45 degree TN preference,
        summed, first Fourier component (Stone et al. 2017, ``decode_cpu4``)."""
        m = self.memory.reshape(-1, 2, 8)
        shifted = np.roll(m[:, 0], 1, axis=1) + np.roll(m[:, 1], -1, axis=1)
        fund = np.fft.fft(shifted, axis=1)[:, 1]
        return -np.angle(fund), np.abs(fund)


def run_journeys(gains: Gains, n_journeys: int, outbound_steps: int, homing_steps: int, seed: int = 0,
                 noise: float = 0.1) -> world.Journeys:
    """``n_journeys`` random outbound routes then homing with the network steering (rate
    model); the outbound turns are :func:`world.random_rotations`."""
    if n_journeys < 1 or outbound_steps < 1 or homing_steps < 1:
        raise ValueError(f"need n_journeys, outbound_steps, homing_steps >= 1; got {n_journeys}, "
                         f"{outbound_steps}, {homing_steps}")
    rng = np.random.default_rng(seed)
    turns = world.random_rotations(rng, n_journeys, outbound_steps)
    model = RateModel(gains, n_journeys, rng, noise)
    heading = np.zeros(n_journeys)
    velocity = np.zeros((n_journeys, 2))
    position = np.zeros((n_journeys, 2))
    T = outbound_steps + homing_steps
    positions = np.empty((n_journeys, T, 2))
    headings = np.empty((n_journeys, T))
    rotation = np.zeros(n_journeys)
    for t in range(T):
        steer = model.step(heading, velocity)
        rotation = turns[:, t] if t < outbound_steps else steer
        heading, velocity = world.body_step(heading, velocity, rotation)
        position = position + velocity
        positions[:, t] = position
        headings[:, t] = heading
    return world.Journeys(positions, headings, outbound_steps)
