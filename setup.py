"""Build hook: setuptools reads everything else from pyproject.toml."""
from setuptools import setup

setup()
