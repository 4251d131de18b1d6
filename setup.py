"""Build hook: setuptools reads everything else from pyproject.toml.

``cffi_modules`` compiles the PPU firmware's host library (``ppu_firmware._host``) at
install time.
"""
from setuptools import setup

setup(cffi_modules=["ppu_firmware/build_host.py:ffibuilder"])
