"""PyNN for BrainScaleS-2 over the chip interface: ``import bss2_experiments.pynn as sim``.

Names mirror ``pynn_brainscales.brainscales2``; times are biological ms (1 ms = 1 us on
the chip), so scripts also run on ``pyNN.nest`` / ``pyNN.brian2``. The emulator is the
default chip (``setup(chip=...)`` takes any :class:`emulator.interface.Chip`).
"""
from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.network import Network  # noqa: F401
from pyNN.parameters import Sequence  # noqa: F401
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from . import standardmodels as cells  # noqa: F401  (pynn_brainscales style: sim.cells.HXNeuron)
from .batch import BatchResult  # noqa: F401
from .control import (  # noqa: F401
    end, get_current_time, get_max_delay, get_min_delay, get_time_step, initialize, num_processes, rank, reset,
    run, run_batch, run_for, run_until, setup,
)
from .mapping import MappingError  # noqa: F401
from .plasticity import Observable, PlasticityRule, Timer  # noqa: F401
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_v  # noqa: F401
from .projections import LabelPoolConnector, Projection  # noqa: F401
from .standardmodels import *  # noqa: F401,F403


def list_standard_models() -> list:
    """The cell types of this backend (classes)."""
    return [obj for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType) and obj is not StandardCellType]
