"""The bee's body and world in floating point (Stone et al. 2017, ``trials.py`` /
``bee_simulator.py`` of InsectRobotics/path-integration): the reference the PPU kernel
``insect_world`` is checked against, and the world of the rate-based model.

Conventions (Stone et al.): heading ``theta`` in radians, clockwise from the y axis, so
a unit step along the heading is ``(sin theta, cos theta)``; per step the body first
turns, then accelerates along the new heading and loses ``drag`` of its velocity:
``v <- (v + a (sin theta, cos theta)) (1 - drag)``; the position integrates the velocity.
With a = drag = 0.15 the terminal speed is a (1 - drag) / drag = 0.85 per step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACCELERATION = 0.15
"""Thrust per step (Stone et al. 2017: ``default_acc``)."""
DRAG = 0.15
"""Fraction of the velocity lost per step (Stone et al. 2017: ``default_drag``)."""
HOME_RANGE = 20.0
"""Success radius around the nest (distance units = steps at unit speed; Stone et al. 2017, Fig. 7)."""
TURN_SD_RAD = 0.1
"""Spread of the outbound route's random turns: von Mises with kappa = 100 (sd ~ 0.1 rad),
low-pass filtered with ``r_t = noise_t + 0.4 r_{t-1}`` (Stone et al. 2017, ``generate_route``)."""
TURN_MEMORY = 0.4


def wrap(theta: np.ndarray) -> np.ndarray:
    """Angle(s) in [-pi, pi)."""
    return (np.asarray(theta) + np.pi) % (2.0 * np.pi) - np.pi


def body_step(heading: np.ndarray, velocity: np.ndarray, rotation: np.ndarray,
              acceleration: float = ACCELERATION, drag: float = DRAG) -> tuple[np.ndarray, np.ndarray]:
    """One step of the body for arrays of bees: ``heading`` (n,), ``velocity`` (n, 2),
    ``rotation`` (n,) in radians -> new heading and velocity."""
    heading = wrap(heading + rotation)
    thrust = acceleration * np.stack([np.sin(heading), np.cos(heading)], axis=-1)
    return heading, (velocity + thrust) * (1.0 - drag)


def path_from_headings(headings: np.ndarray, acceleration: float = ACCELERATION, drag: float = DRAG) -> np.ndarray:
    """Positions (n_steps, 2) of a body started at rest at the nest that takes the given
    heading (radians) at each step: the physics of :func:`body_step`, unrolled."""
    velocity = np.zeros(2)
    position = np.zeros(2)
    out = np.empty((len(headings), 2))
    for t, h in enumerate(headings):
        velocity = (velocity + acceleration * np.array([np.sin(h), np.cos(h)])) * (1.0 - drag)
        position = position + velocity
        out[t] = position
    return out


def random_rotations(rng: np.random.Generator, n_routes: int, n_steps: int,
                     sd_rad: float = TURN_SD_RAD) -> np.ndarray:
    """Random outbound turns (n_routes, n_steps): Gaussian noise (sd ``sd_rad``, the
    kappa = 100 von Mises of Stone et al.) through ``r_t = noise_t + 0.4 r_{t-1}``; r_0 = 0."""
    noise = rng.normal(0.0, sd_rad, (n_routes, n_steps))
    out = np.zeros_like(noise)
    for t in range(1, n_steps):
        out[:, t] = noise[:, t] + TURN_MEMORY * out[:, t - 1]
    return out


@dataclass
class Journeys:
    """Trajectories of a batch of journeys: ``positions`` (n, T, 2) after each step,
    ``headings`` (n, T) radians, first ``outbound_steps`` steps outbound, the rest homing."""

    positions: np.ndarray
    headings: np.ndarray
    outbound_steps: int

    def closest_approach(self) -> np.ndarray:
        """Closest distance to the nest during homing, per journey (Stone et al. 2017,
        ``compute_closest_to_nest``)."""
        d = np.linalg.norm(self.positions[:, self.outbound_steps:], axis=-1)
        return d.min(axis=1)

    def turning_distance(self) -> np.ndarray:
        """Distance from the nest at the end of the outbound route, per journey."""
        return np.linalg.norm(self.positions[:, self.outbound_steps - 1], axis=-1)

    def success(self, home_range: float = HOME_RANGE) -> np.ndarray:
        """Whether each journey came within ``home_range`` of the nest while homing."""
        return self.closest_approach() < home_range
