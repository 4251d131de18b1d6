"""Exceptions of the chip layer. Every message says what was wrong and how to fix it."""


class ChipError(Exception):
    """Base class of all errors raised at or below the chip interface."""


class ConfigurationError(ChipError, ValueError):
    """A chip configuration value is out of its hardware range or inconsistent."""


class StimulusError(ChipError, ValueError):
    """Input events are malformed (negative, unsorted, unknown trial or label)."""


class ResourceError(ChipError, ValueError):
    """A request exceeds a physical resource of the chip (neurons, rows, labels, readout channels)."""


class PlasticityError(ChipError, ValueError):
    """A PPU program cannot run as requested (unknown kernel, bad parameters, timer too fast)."""
