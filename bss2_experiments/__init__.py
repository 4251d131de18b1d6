"""bss2-suite experiment layer: PyNN for BrainScaleS-2, experiments, CLI, results."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bss2-suite")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
