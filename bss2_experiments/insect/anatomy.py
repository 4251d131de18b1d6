"""Populations and connectivity of the central-complex model (Stone et al. 2017, Curr. Biol.
27:3069; matrices as in the authors' model code, InsectRobotics/path-integration).

Neuron order follows the paper: TL2 and CL1 are 16 columns (two copies of the 8 compass
directions), TB1 8 columns (the ring attractor), TN1 and TN2 [left, right], CPU4 16
columns (0-7 fed by the left TN, 8-15 by the right), CPU1 16 columns ordered
``[CPU1b(1), CPU1a(0..13), CPU1b(0)]`` so that CPU1 0-7 steer left and 8-15 steer right.
"""
from __future__ import annotations

import numpy as np

N_TL2 = 16
N_CL1 = 16
N_TB1 = 8
N_TN = 2
N_CPU4 = 16
N_CPU1 = 16

PREFERRED_HEADING_RAD = np.tile(np.linspace(0.0, 2.0 * np.pi, N_TB1, endpoint=False), 2)
"""Preferred headings of TL2/CL1 columns (two copies of the 8 TB1 directions)."""
TN_PREFERRED_RAD = np.pi / 4.0
"""TN cells prefer optic flow at +-45 degrees of the heading (Stone et al. 2017)."""


def tb1_tb1() -> np.ndarray:
    """TB1 -> TB1 inhibition (8 x 8): (1 - cos(delta))/2 between columns, 0 on the diagonal,
    1 for opposite columns (the ring attractor's cosine-shaped inhibition)."""
    sinusoid = (1.0 - np.cos(np.linspace(0.0, 2.0 * np.pi, N_TB1, endpoint=False))) / 2.0
    return np.stack([np.roll(sinusoid, i) for i in range(N_TB1)])


def cl1_tb1() -> np.ndarray:
    """CL1 -> TB1 (8 x 16): CL1 columns j and j + 8 excite TB1 j."""
    return np.tile(np.eye(N_TB1), 2)


def tb1_cpu4() -> np.ndarray:
    """TB1 -> CPU4 (16 x 8): TB1 j inhibits CPU4 j and j + 8."""
    return np.tile(np.eye(N_TB1), (2, 1))


def tn_cpu4() -> np.ndarray:
    """TN -> CPU4 (16 x 2): the left TN feeds CPU4 0-7, the right one CPU4 8-15."""
    w = np.zeros((N_CPU4, N_TN))
    w[:8, 0] = 1.0
    w[8:, 1] = 1.0
    return w


def cpu4_cpu1() -> np.ndarray:
    """CPU4 -> CPU1 (16 x 16), the one-column shift that turns the home vector into a
    steering signal: left-steering CPU1 read the right CPU4 and vice versa."""
    w = np.zeros((N_CPU1, N_CPU4))
    # CPU1a (rows 1..14 of the CPU1 order) after Stone et al.'s W_CPU4_CPU1a
    cpu1a_source = [8, 9, 10, 11, 12, 13, 14, 1, 2, 3, 4, 5, 6, 7]
    for i, src in enumerate(cpu1a_source):
        w[1 + i, src] = 1.0
    w[15, 0] = 1.0    # CPU1b(0) <- CPU4 0
    w[0, 15] = 1.0    # CPU1b(1) <- CPU4 15
    return w


def tb1_cpu1() -> np.ndarray:
    """TB1 -> CPU1 (16 x 8) inhibition: CPU1a i (i = 0..13) gets TB1 (i + 1) % 8;
    CPU1b(0) gets TB1 7, CPU1b(1) gets TB1 0."""
    w = np.zeros((N_CPU1, N_TB1))
    for i in range(14):
        w[1 + i, (i + 1) % N_TB1] = 1.0
    w[15, 7] = 1.0
    w[0, 0] = 1.0
    return w


def cpu1_motor() -> np.ndarray:
    """CPU1 -> motor (2 x 16): CPU1 0-7 drive the left turn, 8-15 the right turn."""
    w = np.zeros((2, N_CPU1))
    w[0, :8] = 1.0
    w[1, 8:] = 1.0
    return w


def to_6bit(weights: np.ndarray, scale: float) -> np.ndarray:
    """Model weights (>= 0, sign carried by the synapse-row type) as 6-bit synapse weights:
    ``round(w * scale)`` clipped to 0..63. Raises ``ValueError`` if a nonzero weight would
    round to 0 or exceed 63 (the 6-bit range cannot hold it)."""
    w = np.asarray(weights, float)
    if np.any(w < 0):
        raise ValueError("weights must be >= 0: the sign lives in the synapse row (excitatory/inhibitory)")
    q = np.rint(w * scale)
    if np.any((w > 0) & (q == 0)) or np.any(q > 63):
        raise ValueError(f"scale {scale}: the weights {w[w > 0].min():.3g}..{w.max():.3g} do not fit 1..63 "
                         f"(choose scale in {1 / w[w > 0].min() / 2:.3g}..{63 / w.max():.3g})")
    return q.astype(np.int64)
