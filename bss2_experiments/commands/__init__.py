"""Subcommands of ``bss2``: one module each, each exposing ``register(subparsers)``."""
