"""SCPI over pyvisa: the base every instrument driver builds on.

* ``*IDN?`` is checked against the driver's supported models on opening
  (:class:`~bss2_experiments.instruments.errors.WrongInstrumentError` names them).
* Every exchange has a timeout (``timeout_s``) and is retried once after a transient
  error (timeout, I/O error), with the instrument's output flushed in between.
* Every write is followed by ``SYST:ERR?``, so a refused command fails where it was sent.
* Errors name the instrument (model and VISA address) and the action in progress.

Numbers are sent in SCPI NR3 form (``2.048000E-05``), which every SCPI parser accepts
(and pyvisa-sim's setters parse).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pyvisa
from pyvisa import constants
from pyvisa.errors import InvalidSession, VisaIOError

from .errors import (InstrumentCommandError, InstrumentConnectionError, InstrumentTimeoutError,
                     WrongInstrumentError)

TRANSIENT_ERRORS = {constants.StatusCode.error_timeout, constants.StatusCode.error_io}
CONNECTION_ERRORS = {constants.StatusCode.error_connection_lost, constants.StatusCode.error_invalid_object,
                     constants.StatusCode.error_resource_not_found, constants.StatusCode.error_closing_failed}
FLUSH_TIMEOUT_MS = 50


def nr3(value: float) -> str:
    """A number in SCPI NR3 form, e.g. ``1.200000E+00``."""
    return f"{float(value):.6E}"


@dataclass(frozen=True)
class Identity:
    """The four fields of an ``*IDN?`` answer."""

    manufacturer: str
    model: str
    serial: str
    firmware: str

    @classmethod
    def parse(cls, answer: str) -> "Identity":
        fields = [f.strip() for f in answer.split(",")] + ["", "", "", ""]
        return cls(*fields[:4])

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.model} (serial {self.serial}, firmware {self.firmware})"


class ScpiInstrument:
    """One SCPI instrument at a VISA address.

    ``resource_manager`` defaults to pyvisa's default backend; pass
    ``pyvisa.ResourceManager("defs.yaml@sim")`` for pyvisa-sim (see
    :mod:`bss2_experiments.instruments.simulation`). ``timeout_s`` is the I/O timeout (s).
    """

    KIND = "instrument"
    SUPPORTED_MODELS: tuple[str, ...] = ()
    OPTION = "the instrument's VISA address"
    """How the user names this instrument (CLI option), for error messages."""

    def __init__(self, address: str, resource_manager: pyvisa.ResourceManager | None = None,
                 timeout_s: float = 5.0):
        self.address = address
        self.timeout_s = float(timeout_s)
        self.name = f"{self.KIND} at {address}"
        rm = resource_manager if resource_manager is not None else pyvisa.ResourceManager()
        try:
            self._resource = rm.open_resource(address, read_termination="\n", write_termination="\n")
        except (VisaIOError, ValueError) as err:
            raise InstrumentConnectionError(
                f"cannot open the {self.KIND} at {address!r} ({err}); check {self.OPTION}, the cable or network, "
                f"and that no other program holds the instrument", self.name, "opening") from err
        self._resource.timeout = self.timeout_s * 1e3
        self.identity = self.identify()
        self.name = f"{self.KIND} {self.identity.model} at {address}"

    # -- identification ----------------------------------------------------------------

    def identify(self) -> Identity:
        """Ask ``*IDN?`` and check the model against :attr:`SUPPORTED_MODELS`."""
        answer = self.query("*IDN?", "identifying (*IDN?)")
        if not answer:
            raise InstrumentConnectionError(
                f"nothing at {self.address} answers *IDN?; check {self.OPTION} (expected a {self.KIND}: "
                f"{', '.join(self.SUPPORTED_MODELS)})", self.name, "identifying (*IDN?)")
        identity = Identity.parse(answer)
        if identity.model not in self.SUPPORTED_MODELS:
            raise WrongInstrumentError(
                f"the instrument at {self.address} identifies as {answer.strip()!r} (model {identity.model!r}), "
                f"but the {self.KIND} driver supports {', '.join(self.SUPPORTED_MODELS)}; check {self.OPTION}",
                self.name, "identifying (*IDN?)")
        return identity

    # -- exchanges ---------------------------------------------------------------------

    def query(self, command: str, action: str) -> str:
        """Send ``command`` and return the answer (stripped); ``action`` says what for."""
        return self._exchange(lambda: self._resource.query(command).strip(), command, action)

    def write(self, command: str, action: str) -> None:
        """Send ``command`` and check the instrument's error queue."""
        self._exchange(lambda: self._resource.write(command), command, action)
        self.check_errors(action, command)

    def check_errors(self, action: str, command: str = "SYST:ERR?") -> None:
        """Raise if ``SYST:ERR?`` reports an error (``+0,"No error"`` means none)."""
        answer = self.query("SYST:ERR?", action)
        code = answer.split(",")[0].strip()
        if not code.lstrip("+-").isdigit():        # not an error-queue entry: an error reply was pending
            self._flush()
            raise InstrumentCommandError(
                f"{self.name} refused {command!r} while {action} (answered {answer!r}); check the command "
                f"against the {self.KIND}'s programming guide", self.name, action)
        if int(code) != 0:
            raise InstrumentCommandError(f"{self.name} reports error {answer} after {command!r} while {action}",
                                         self.name, action)

    def query_float(self, command: str, action: str) -> float:
        """Query one number."""
        answer = self.query(command, action)
        try:
            return float(answer)
        except ValueError:
            raise InstrumentCommandError(
                f"{self.name} answered {answer[:60]!r} to {command!r} while {action}; expected a number",
                self.name, action) from None

    def query_floats(self, command: str, action: str) -> np.ndarray:
        """Query a comma-separated list of numbers (an IEEE 488.2 ``#<n><length>`` header
        in front, as oscilloscopes send in ASCII format, is skipped)."""
        answer = self.query(command, action)
        if answer.startswith("#") and len(answer) > 2 and answer[1].isdigit():
            answer = answer[2 + int(answer[1]):]
        try:
            return np.array([float(x) for x in answer.split(",") if x.strip()], dtype=float)
        except ValueError:
            raise InstrumentCommandError(
                f"{self.name} answered {answer[:60]!r}... to {command!r} while {action}; expected numbers "
                f"separated by commas", self.name, action) from None

    def close(self) -> None:
        with contextlib.suppress(InvalidSession, VisaIOError):
            self._resource.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _exchange(self, operation, command: str, action: str):
        retried = False
        while True:
            try:
                return operation()
            except InvalidSession as err:
                raise self._lost(command, action, err) from err
            except VisaIOError as err:
                if err.error_code in CONNECTION_ERRORS:
                    raise self._lost(command, action, err) from err
                if err.error_code not in TRANSIENT_ERRORS:
                    raise InstrumentCommandError(f"{self.name} failed on {command!r} while {action}: {err}",
                                                 self.name, action) from err
                if retried:
                    raise InstrumentTimeoutError(
                        f"{self.name} did not answer {command!r} while {action} (timeout {self.timeout_s:g} s, "
                        f"retried once): check the connection and that the instrument is not busy, or raise "
                        f"the timeout", self.name, action) from err
                retried = True
                self._flush()

    def _lost(self, command: str, action: str, err: Exception) -> InstrumentConnectionError:
        return InstrumentConnectionError(
            f"lost the connection to the {self.name} on {command!r} while {action} ({err}); reconnect it",
            self.name, action)

    def _flush(self) -> None:
        """Drop pending output: device clear, or (pyvisa-sim has none) read until quiet."""
        try:
            self._resource.clear()
        except NotImplementedError:
            self._resource.timeout = FLUSH_TIMEOUT_MS
            try:
                with contextlib.suppress(VisaIOError):
                    for _ in range(16):
                        self._resource.read()
            finally:
                self._resource.timeout = self.timeout_s * 1e3
        except VisaIOError:
            pass   # the retry that follows reports a connection that stays broken
