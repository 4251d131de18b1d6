"""Figure of ``bss2 run sampling``: activation functions, D_KL vs iteration and vs sampling
time, target vs sampled distributions (as seed Figure 16D)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .activation import logistic  # noqa: E402


def figure(result) -> "plt.Figure":
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    fits = result.fits
    v = np.linspace(fits.v_rest.min(), fits.v_rest.max(), 200)
    for k in range(fits.v05.size):
        line, = ax[0, 0].plot(fits.v_rest, fits.p_on[:, k], "o", ms=3)
        ax[0, 0].plot(v, logistic(v, fits.v05[k], fits.alpha[k]), color=line.get_color(), lw=1)
    ax[0, 0].set(xlabel="resting potential (CADC LSB)", ylabel="p(z = 1)",
                 title="activation functions (points: chip, lines: logistic fits)")
    ax[0, 1].semilogy(np.arange(len(result.history.dkl)), result.history.dkl, ".-")
    ax[0, 1].axhline(0.01, color="gray", ls=":", label="0.01")
    ax[0, 1].set(xlabel="training iteration", ylabel="D_KL(target || sampled)", title="in-the-loop training")
    ax[0, 1].legend()
    for name, (t, d) in result.dkl_vs_time.items():
        ax[1, 0].loglog(t, d, "o-", ms=3, label=name)
    ax[1, 0].set(xlabel="sampled hardware time (us)", ylabel="D_KL(target || sampled)", title="D_KL vs sampling time")
    ax[1, 0].legend()
    n_states = result.target.size
    x = np.arange(n_states)
    bars = [("target", result.target), ("untrained (chip)", result.untrained), ("trained (chip)", result.trained)]
    if result.reference is not None:
        bars.append((f"untrained ({result.config.reference})", result.reference))
    width = 0.8 / len(bars)
    for i, (label, p) in enumerate(bars):
        ax[1, 1].bar(x + (i - (len(bars) - 1) / 2) * width, p, width, label=label)
    ax[1, 1].set(xlabel="state z (index, unit 0 most significant)", ylabel="p(z)", xlim=(-1, n_states),
                 title=f"D_KL trained {result.dkl_final:.4f}, untrained {result.dkl_untrained:.3f}")
    ax[1, 1].legend(fontsize=8)
    fig.tight_layout()
    return fig
