"""Iris as receptor spike volleys, after Billaudelle et al. (2021, Neural Networks 133).

Each of the four features (scaled to 0..1 with the training set's range) is covered by
``receptors_per_feature`` receptors with Gaussian receptive fields (centres evenly spaced
over 0..1, width ``width`` in feature units). A sample is presented as ``volleys``
volleys, one every ``volley_period_ms``: in each, receptor ``j`` spikes once with
probability equal to its activation ``exp(-(x - c_j)^2 / (2 width^2))``, a rate code on a
volley grid (up to ``spikes_per_volley`` spikes per volley, each with that
probability). During training the teacher of the presented class fires ``teacher_spikes``
spikes shortly after each volley, so its label neurons fire after the receptors: a
causal pairing that the correlation sensors turn into potentiation of the synapses from
active receptors. The other classes' label neurons are made to fire once just *before*
each volley (``anti_teacher_lead_ms``) and are then silenced by an inhibitory teacher at
the volley: an acausal pairing that depresses their synapses from the active receptors.
Times are biological ms, as everywhere at the PyNN level (1 ms = 1 us on the chip).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_FEATURES = 4
N_CLASSES = 3


@dataclass(frozen=True)
class Encoding:
    """Receptor and teacher timing (biological ms) and receptive fields."""

    receptors_per_feature: int = 15
    width: float = 0.1
    """Gaussian receptive-field width (feature units, features scaled to 0..1)."""
    volleys: int = 10
    volley_period_ms: float = 40.0
    onset_ms: float = 5.0
    """time of the first volley after the sample starts"""
    spikes_per_volley: int = 2
    """each volley, a receptor emits up to this many spikes, each with its activation as probability"""
    burst_interval_ms: float = 0.5
    jitter_ms: float = 0.2
    """receptor spikes are spread uniformly over this window after their slot"""
    teacher_delay_ms: float = 1.0
    """the presented class's teacher spikes this long after each volley (causal pairing)"""
    teacher_spikes: int = 2
    teacher_interval_ms: float = 0.5
    anti_teacher_lead_ms: float | None = 3.5
    """the other classes' teachers fire (as many spikes as the teacher) this long before each
    volley, so that their neurons spike just before the receptors (acausal pairing:
    depression); their inhibitory teacher follows ``inhibition_lead_ms`` before the volley
    and silences them for its rest. None: no anti-teacher, inhibition only"""
    inhibition_lead_ms: float = 0.5

    def __post_init__(self):
        if self.receptors_per_feature < 2:
            raise ValueError(f"receptors_per_feature = {self.receptors_per_feature}: need at least 2 per feature")
        if not self.width > 0:
            raise ValueError(f"width = {self.width}: the receptive-field width must be > 0 (feature units, 0..1)")
        if self.volleys < 1 or self.spikes_per_volley < 1 or not self.volley_period_ms > 0:
            raise ValueError(f"volleys = {self.volleys}, volley_period_ms = {self.volley_period_ms}: need at least "
                             f"one volley of at least one spike and a positive period")
        last_teacher = self.teacher_delay_ms + (self.teacher_spikes - 1) * self.teacher_interval_ms
        lead = max(self.anti_teacher_lead_ms or 0.0, self.inhibition_lead_ms)
        if min(self.jitter_ms, self.teacher_delay_ms, self.inhibition_lead_ms, self.anti_teacher_lead_ms or 0.0) < 0 \
                or last_teacher + lead >= self.volley_period_ms or lead > self.onset_ms:
            raise ValueError(f"teacher spikes from {lead} ms before to {last_teacher} ms after a volley must fit "
                             f"the volley period ({self.volley_period_ms} ms) and the onset ({self.onset_ms} ms); "
                             f"delays must be >= 0")

    @property
    def n_receptors(self) -> int:
        return N_FEATURES * self.receptors_per_feature

    @property
    def sample_ms(self) -> float:
        """Duration of one sample's presentation (biological ms)."""
        return self.onset_ms + self.volleys * self.volley_period_ms

    def volley_times_ms(self) -> np.ndarray:
        """Volley times within a sample (ms)."""
        return self.onset_ms + np.arange(self.volleys) * self.volley_period_ms

    def centres(self) -> np.ndarray:
        """Receptive-field centres (features scaled to 0..1), shape (receptors_per_feature,)."""
        return np.linspace(0.0, 1.0, self.receptors_per_feature)

    def activations(self, x01: np.ndarray) -> np.ndarray:
        """Receptor activations 0..1 of scaled samples ``x01`` (n, 4) -> (n, n_receptors);
        receptor ``f * receptors_per_feature + i`` belongs to feature ``f``."""
        x01 = np.asarray(x01, dtype=float)
        if x01.ndim != 2 or x01.shape[1] != N_FEATURES:
            raise ValueError(f"samples must have shape (n, {N_FEATURES}), got {x01.shape}")
        d = x01[:, :, None] - self.centres()[None, None, :]
        return np.exp(-0.5 * (d / self.width) ** 2).reshape(len(x01), -1)

    def receptor_spikes(self, x01: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Spike times (ms from each sample's start) of every receptor, shape
        (n, n_receptors, volleys * spikes_per_volley), NaN where a receptor stays silent."""
        a = self.activations(x01)
        slots = (self.volley_times_ms()[:, None]
                 + self.burst_interval_ms * np.arange(self.spikes_per_volley)[None, :]).ravel()
        fire = rng.random(a.shape + slots.shape) < a[:, :, None]
        t = slots[None, None, :] + self.jitter_ms * rng.random(fire.shape)
        return np.where(fire, t, np.nan)

    def teacher_offsets_ms(self) -> np.ndarray:
        """The presented class's teacher spikes within one sample (ms)."""
        within = self.teacher_delay_ms + self.teacher_interval_ms * np.arange(self.teacher_spikes)
        return (self.volley_times_ms()[:, None] + within[None, :]).ravel()

    def anti_teacher_offsets_ms(self) -> np.ndarray:
        """The other classes' excitatory teacher spikes within one sample (ms), before each volley."""
        if self.anti_teacher_lead_ms is None:
            return np.zeros(0)
        within = self.teacher_interval_ms * np.arange(self.teacher_spikes)
        return (self.volley_times_ms()[:, None] - self.anti_teacher_lead_ms + within[None, :]).ravel()

    def inhibition_offsets_ms(self) -> np.ndarray:
        """The other classes' inhibitory teacher spikes within one sample (ms): one per volley."""
        return self.volley_times_ms() - self.inhibition_lead_ms


def iris_split(seed: int, test_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled Iris, stratified split per ``seed``, features scaled to 0..1
    with the training set's minimum and maximum (test values clipped):
    ``x_train, y_train, x_test, y_test``."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction = {test_fraction}: must lie strictly between 0 and 1")
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=test_fraction, stratify=data.target, random_state=seed)
    lo, hi = x_train.min(axis=0), x_train.max(axis=0)
    scale = lambda x: np.clip((x - lo) / (hi - lo), 0.0, 1.0)  # noqa: E731
    return scale(x_train), y_train.astype(np.int64), scale(x_test), y_test.astype(np.int64)
