"""Backend state: the ``ID`` and ``State`` every pyNN.common class reaches through
``_simulator``.

Time at this level is biological ms. Each ``run()`` is one chip execution that starts
from rest (as on pynn_brainscales, where consecutive runs are separate hardware runs);
its recordings are appended after the previous run's, shifted by the time already run.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from pyNN import common

name = "BrainScaleS-2"


class ID(int, common.IDMixin):

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything the backend remembers between ``setup()`` and ``end()``.

    ``chip_options`` hold the ``setup()`` arguments that pick and configure the chip
    (see :func:`bss2_experiments.pynn.control.setup`); ``chip`` is created on the first
    run from them unless the user passed one.
    """

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.chip_options: dict[str, Any] = {}
        self.calibration_cache: dict = {}
        self.clear()

    def run(self, simtime: float) -> None:
        from .execution import execute  # execution imports the PyNN classes, which import this module
        if simtime < 0:
            raise ValueError(f"run() needs a non-negative duration, got {simtime} ms")
        if simtime > 0:
            execute(self, self.t, simtime)
        self.t += simtime
        self.running = True

    def run_until(self, tstop: float) -> None:
        self.run(tstop - self.t)

    def clear(self) -> None:
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.plasticity_rules = []
        self.id_counter = 0
        self.segment_counter = -1
        self.chip = None
        self.calibration_result = None
        """The :class:`calibration.CalibrationResult` of the latest run (provenance)."""
        self.last_run = None
        """``(Compiled, RunResult)`` of the latest chip call: configuration and raw results."""
        self.last_mapping = None
        """``(fingerprint, ChipMapping)`` of the latest layout (see ``configure._mapped``)."""
        self.rng = np.random.default_rng(self.chip_options.get("seed"))
        self.reset()

    def reset(self) -> None:
        """Back to t = 0: a new segment; plastic weights return to their initial values."""
        for recorder in self.recorders:
            recorder._clear_simulator()
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        for projection in self.projections:
            projection._restore_initial_weights()


state = State()
