"""Exceptions of the PPU firmware layer. Every message says what was wrong and how to fix it.

``PPUError`` subclasses ``ValueError``; ``emulator.errors.PlasticityError`` wraps it.
"""


class PPUError(ValueError):
    """Base class of all errors raised by ``ppu_firmware``."""


class KernelError(PPUError):
    """An unknown kernel name was asked for."""


class ParameterError(PPUError):
    """A mailbox parameter is unknown, out of range or malformed."""


class StateError(PPUError):
    """A :class:`ppu_firmware.host.PPUState` buffer has the wrong shape, type or range."""


class HostLibraryError(PPUError):
    """The compiled host library ``ppu_firmware._host`` is missing or does not match."""
