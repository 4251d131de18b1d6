"""Cycle-approximate BrainScaleS-2 emulator behind the chip interface (:mod:`emulator.interface`)."""
