"""Pong and its reward, in the PPU kernel's fixed point (``ppu_firmware/kernels/pong.h``).

The task of Wunderlich et al. (2019, Front. Neurosci. 13:260; game of
``electronicvisions/model-sw-pong``): a unit square of 32 x 32 cells, ball speed 0.025 per
iteration (L1 norm) with a random start direction (|v_x| in [0.5, 1)), paddle length 0.07
and speed 0.05; the agent's action is a target cell, the paddle moves one step towards it;
reward 1 / 0.7 / 0.4 / 0.1 for target 0 / 1 / 2 / 3 cells from the ball, else 0; expected
reward per ball cell Rbar_k <- Rbar_k + (R - Rbar_k) / 2 (initialised with the first reward).

Written from the rules documented in ``pong.h`` (not from the C): positions Q16.16
(65536 = 1.0) in int64, the same xorshift32 stream as the PPU (Marsaglia 2003). Used as
the NumPy reference of the kernel in tests and as the game of the NEST software twin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ONE = 65536
"""1.0 in Q16.16."""
UNITS = 32
"""Cells per axis = input units = output units."""
DEFAULT_REWARDS = (16384, 11469, 6554, 1638)
"""Reward at distance 0..3 cells in Q1.14 (1.0, 0.7, 0.4, 0.1)."""
Q14 = 16384
ZERO_SEED = 0x9E3779B9


class XorShift32:
    """The PPU's random stream (``ppu/random.h``): xorshift32 with shifts 13, 17, 5."""

    def __init__(self, state: int):
        self.state = int(state) & 0xFFFFFFFF

    def next(self) -> int:
        x = self.state or ZERO_SEED
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x


def cell_of(y_q16: int) -> int:
    """Cell of a coordinate: min(y >> 11, 31) (y < 0 counts as 0)."""
    return min(max(int(y_q16), 0) >> 11, UNITS - 1)


def reward_of(target: int, ball_cell: int, rewards=DEFAULT_REWARDS) -> int:
    """Reward (Q1.14) of choosing ``target`` when the ball is in ``ball_cell``."""
    distance = abs(int(target) - int(ball_cell))
    return int(rewards[distance]) if distance < 4 else 0


def update_expected(expected: int, reward: int, mean_shift: int = 1) -> tuple[int, int]:
    """(d, new Rbar) in Q1.14: d = clip16(R - Rbar), Rbar + floor(d / 2**mean_shift)."""
    d = int(np.clip(reward - expected, -32768, 32767))
    return d, int(np.clip(expected + (d >> mean_shift), -32768, 32767))


def scheduled_noise(noise: int, floor: int, decay: int, iteration: int) -> int:
    """Exploration probability (/256) after ``iteration`` iterations: ``noise`` falling by 1
    every ``decay`` iterations down to ``min(noise, floor)``; constant if ``decay`` is 0."""
    if decay == 0:
        return int(noise)
    return max(int(noise) - int(iteration) // int(decay), min(int(noise), int(floor)))


@dataclass
class Pong:
    """One game in Q16.16: ``ball`` (x, y), ``velocity`` (per iteration), ``paddle`` (y)."""

    ball_speed: int = 1638
    paddle_speed: int = 3277
    paddle_length: int = 4588
    ball_radius: int = 1311
    ball: list[int] = field(default_factory=lambda: [ONE // 2, ONE // 2])
    velocity: list[int] = field(default_factory=lambda: [0, 0])
    paddle: int = ONE // 2
    hits: int = 0
    misses: int = 0

    def __post_init__(self) -> None:
        for name in ("ball_speed", "paddle_speed", "paddle_length", "ball_radius"):
            value = getattr(self, name)
            if not 0 <= value < ONE:
                raise ValueError(f"Pong.{name} = {value} must lie in 0..65535 (Q0.16, e.g. 0.025 -> 1638)")

    @property
    def ball_cell(self) -> int:
        return cell_of(self.ball[1])

    def new_game(self, rng: XorShift32) -> None:
        """Ball and paddle to the centre, a random direction from one draw."""
        d = rng.next()
        vx = 32768 + ((d >> 16) >> 1)
        vy = ONE - vx
        sx, sy = (self.ball_speed * vx) >> 16, (self.ball_speed * vy) >> 16
        self.ball = [ONE // 2, ONE // 2]
        self.velocity = [-sx if d & 1 else sx, -sy if d & 2 else sy]
        self.paddle = ONE // 2

    def step(self, target: int, rng: XorShift32) -> bool:
        """One iteration with the paddle moving towards cell ``target``; returns True on a
        miss (a new game has started)."""
        (x, y), (vx, vy), r = self.ball, self.velocity, self.ball_radius
        if y + r >= ONE:
            vy = -abs(vy)
        if y - r <= 0:
            vy = abs(vy)
        if x - r <= 0:
            vx = abs(vx)
        if x + r >= ONE:
            if abs(y - self.paddle) <= self.paddle_length >> 1:
                vx = -abs(vx)
                self.hits += 1
            else:
                self.misses += 1
                self.new_game(rng)
                return True
        cell = cell_of(self.paddle)
        self.paddle += self.paddle_speed * int(np.sign(target - cell))
        self.paddle = min(max(self.paddle, 0), ONE)
        self.ball = [x + vx, y + vy]
        self.velocity = [vx, vy]
        return False


def choose(counts: np.ndarray, rng: XorShift32) -> int:
    """Unit with the highest count; ties: the (draw mod n_ties)-th tied unit (one draw)."""
    counts = np.asarray(counts)
    tied = np.flatnonzero(counts == counts.max())
    return int(tied[rng.next() % tied.size])
