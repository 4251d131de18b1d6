"""Cycle-approximate BrainScaleS-2 emulator behind the chip interface (:mod:`emulator.interface`).

The compiled integrator runs its trials on numba's own ``workqueue`` thread pool rather than
OpenMP: NEST (a reference backend, often imported into the same process) ships its own
OpenMP runtime, and two OpenMP runtimes in one process crash NEST's ``ResetKernel``.
"""
import numba as _numba

_numba.config.THREADING_LAYER = "workqueue"
