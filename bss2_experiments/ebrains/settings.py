"""Where ``bss2 submit`` finds the EBRAINS access token and the job service.

Token, first found wins (never printed, logged or written by the suite):

1. the environment variable ``EBRAINS_TOKEN``;
2. the config file ``~/.config/bss2-suite/ebrains.json`` (another path in
   ``BSS2_EBRAINS_CONFIG``): ``{"token": "..."}``; refused when group or others may read it;
3. the token cache of the ``nmpi`` client itself (``~/.hbptoken``, written by any earlier
   ``nmpi.Client`` login): ``{username: {"access_token": "..."}}``.

Services: ``job_service`` / ``user_info_endpoint`` from the environment
(``BSS2_NMPI_JOB_SERVICE``, ``BSS2_NMPI_USER_INFO``), else the config file, else the
``nmpi`` client's defaults (the EBRAINS production services).
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

TOKEN_VARIABLE = "EBRAINS_TOKEN"
CONFIG_VARIABLE = "BSS2_EBRAINS_CONFIG"
DEFAULT_CONFIG = Path("~/.config/bss2-suite/ebrains.json")


class SubmitError(RuntimeError):
    """A job could not be submitted, followed or fetched; the message says what to do."""


class Secret:
    """A string that never shows itself: ``str``/``repr`` print ``***``; ``reveal()`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass
class Settings:
    """Token (hidden), where it came from, and the service URLs (None: the nmpi default)."""

    token: Secret
    token_source: str
    job_service: str | None = None
    user_info_endpoint: str | None = None


def config_path(environ=os.environ) -> Path:
    return Path(environ.get(CONFIG_VARIABLE) or DEFAULT_CONFIG).expanduser()


def _read_config(path: Path) -> dict:
    if not path.is_file():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        raise SubmitError(f"{path} may be read by other users; it holds your EBRAINS token: chmod 600 {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise SubmitError(f"{path} is not valid JSON ({err.msg}, line {err.lineno}): write {{\"token\": \"...\"}}") \
            from None


def _nmpi_cached_token() -> str | None:
    from nmpi.nmpi_user import TOKENFILE
    try:
        cached = json.loads(Path(TOKENFILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    for entry in cached.values() if isinstance(cached, dict) else ():
        if isinstance(entry, dict) and entry.get("access_token"):
            return entry["access_token"]
    return None


def load_settings(environ=os.environ, job_service: str | None = None) -> Settings:
    """The token and services (see module doc); ``job_service`` overrides the others."""
    path = config_path(environ)
    config = _read_config(path)
    if environ.get(TOKEN_VARIABLE):
        token, source = environ[TOKEN_VARIABLE], f"${TOKEN_VARIABLE}"
    elif config.get("token"):
        token, source = config["token"], str(path)
    elif (cached := _nmpi_cached_token()) is not None:
        token, source = cached, "the nmpi token cache (~/.hbptoken)"
    else:
        raise SubmitError(f"no EBRAINS access token: set {TOKEN_VARIABLE}, or write {{\"token\": \"...\"}} to {path} "
                          "(chmod 600); get a token from the EBRAINS Collaboratory (Lab: clb_oauth.get_token())")
    return Settings(Secret(token), source,
                    job_service or environ.get("BSS2_NMPI_JOB_SERVICE") or config.get("job_service"),
                    environ.get("BSS2_NMPI_USER_INFO") or config.get("user_info_endpoint"))
