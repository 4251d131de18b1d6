"""``LuiLink``: the host side of the probe protocol over pyserial.

Works the same against the real probe and against :class:`lui_board.simulator.PtySimulator`.
Commands wait for their ACK (matched by sequence number) with a timeout; samples and spikes
arriving meanwhile are queued, not lost. Garbage on the line is skipped by the frame decoder,
and frames lost on the way are counted from the device's sequence numbers
(:attr:`LuiLink.lost_frames`).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import serial

from .errors import LuiPortError, LuiProtocolError, LuiTimeoutError
from .protocol import (PROTOCOL_VERSION, Ack, FrameDecoder, Identify, Identity, Message, Pulse,
                       Samples, SequenceTracker, SetSampleRate, Spike, StartSampling, Status,
                       StopSampling, decode_message, encode_message)

FIX_PORT = ("fix: plug in the Lu.i probe and pass its port (Linux: /dev/ttyACM0, see "
            "`python3 -m serial.tools.list_ports`), or start a simulated probe with "
            "`bss2 lui simulate` and pass the pty path it prints")


@dataclass
class Recording:
    """Events collected from the probe; times in seconds of the probe clock, volts."""

    membrane: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    spikes: dict[int, np.ndarray] = field(default_factory=dict)
    lost_frames: int = 0

    @classmethod
    def from_events(cls, events: list[Message], lost_frames: int = 0) -> "Recording":
        """Collate :class:`Samples` and :class:`Spike` messages."""
        t: dict[int, list[np.ndarray]] = {}
        v: dict[int, list[np.ndarray]] = {}
        spikes: dict[int, list[float]] = {}
        for ev in events:
            if isinstance(ev, Samples):
                n = len(ev.v_mv)
                t.setdefault(ev.channel, []).append((ev.t_first_us + ev.period_us * np.arange(n)) * 1e-6)
                v.setdefault(ev.channel, []).append(np.asarray(ev.v_mv, dtype=float) * 1e-3)
            elif isinstance(ev, Spike):
                spikes.setdefault(ev.channel, []).append(ev.t_us * 1e-6)
        return cls({ch: (np.concatenate(t[ch]), np.concatenate(v[ch])) for ch in t},
                   {ch: np.array(s) for ch, s in spikes.items()}, lost_frames)

    def spike_times_s(self, channel: int) -> np.ndarray:
        """Spike times on probe spike input ``channel`` (empty if none)."""
        return self.spikes.get(channel, np.zeros(0))


class LuiLink:
    """Connection to a Lu.i probe on ``port``; use as a context manager.

    >>> with LuiLink("/dev/ttyACM0") as link:          # doctest: +SKIP
    ...     print(link.identify().name)
    ...     link.pulse(0, width_ms=15)
    """

    def __init__(self, port: str, baudrate: int = 115200, timeout_s: float = 1.0) -> None:
        self.port = port
        self.timeout_s = timeout_s
        try:
            self._serial = serial.Serial(port, baudrate=baudrate, timeout=0.02, write_timeout=timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LuiPortError(f"cannot open serial port {port!r} ({exc}); {FIX_PORT}") from None
        self._decoder = FrameDecoder()
        self._tracker = SequenceTracker()
        self._seq = 0
        self._events: deque[Message] = deque()
        self._acks: dict[int, Message] = {}
        self.t_device_us = 0

    # -- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the port."""
        self._serial.close()

    def __enter__(self) -> "LuiLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def lost_frames(self) -> int:
        """Frames from the probe that never arrived (gaps in its sequence numbers)."""
        return self._tracker.lost_frames

    @property
    def discarded_bytes(self) -> int:
        """Bytes skipped while resynchronising (garbage, damaged frames)."""
        return self._decoder.discarded_bytes

    def _io_error(self, exc: Exception) -> LuiPortError:
        return LuiPortError(f"lost the Lu.i probe on {self.port!r} ({exc}); fix: check the USB "
                            "cable, replug the probe and reconnect")

    def _pump(self) -> None:
        """Read what is available (waiting at most the serial read timeout) and sort it."""
        try:
            data = self._serial.read(max(1, self._serial.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise self._io_error(exc) from None
        for frame in self._decoder.feed(data):
            self._tracker.check(frame.seq)
            try:
                msg = decode_message(frame)
            except LuiProtocolError:
                continue           # a valid frame from a newer protocol: skip it
            if isinstance(msg, (Ack, Identity)):
                self.t_device_us = msg.t_device_us
                self._acks[msg.acked_seq if isinstance(msg, Ack) else -1] = msg
            else:
                self._events.append(msg)

    def _command(self, msg: Message, expect_identity: bool = False) -> Message:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        key = -1 if expect_identity else seq
        self._acks.pop(key, None)
        try:
            self._serial.write(encode_message(msg, seq))
        except (serial.SerialException, OSError) as exc:
            raise self._io_error(exc) from None
        deadline = time.monotonic() + self.timeout_s
        while key not in self._acks:
            if time.monotonic() > deadline:
                raise LuiTimeoutError(
                    f"no reply from the Lu.i probe on {self.port!r} within {self.timeout_s} s to "
                    f"{type(msg).__name__}; fix: check that this port is the probe (not another "
                    "serial device), that its firmware speaks protocol "
                    f"v{PROTOCOL_VERSION}, or raise timeout_s")
            self._pump()
        reply = self._acks.pop(key)
        if isinstance(reply, Ack) and reply.status is not Status.OK:
            raise LuiProtocolError(f"the probe on {self.port!r} rejected {msg}: {reply.status.name}")
        return reply

    # -- commands ------------------------------------------------------------------------------
    def identify(self) -> Identity:
        """Ask the probe for its name, firmware version and channel counts."""
        reply = self._command(Identify(), expect_identity=True)
        assert isinstance(reply, Identity)
        if reply.protocol != PROTOCOL_VERSION:
            raise LuiProtocolError(f"probe on {self.port!r} speaks protocol v{reply.protocol}, this "
                                   f"client v{PROTOCOL_VERSION}; fix: update the firmware or the suite")
        return reply

    def pulse(self, channel: int, width_ms: float = 15.0, at_us: int | None = None) -> int:
        """Pulse synapse output ``channel`` for ``width_ms`` (15 ms matches a Lu.i spike),
        now or at probe time ``at_us``; return the probe time of the acknowledgement."""
        self._command(Pulse(channel, int(round(width_ms * 1000)), at_us or 0))
        return self.t_device_us

    def set_sample_rate(self, rate_hz: int) -> None:
        """Set the membrane sampling rate in hertz (10..10000)."""
        self._command(SetSampleRate(int(rate_hz)))

    def start_sampling(self, channels: tuple[int, ...] = (0,)) -> None:
        """Start streaming membrane samples of the given ADC channels."""
        self._command(StartSampling(sum(1 << c for c in channels)))

    def stop_sampling(self) -> None:
        """Stop streaming membrane samples."""
        self._command(StopSampling())

    def poll(self, duration_s: float) -> list[Message]:
        """Collect streamed samples and spikes for ``duration_s`` seconds of wall time."""
        deadline = time.monotonic() + duration_s
        while time.monotonic() < deadline:
            self._pump()
        events = list(self._events)
        self._events.clear()
        return events

    def record_until(self, t_device_us: int, max_wait_s: float = 30.0) -> Recording:
        """Collect events until the probe clock passes ``t_device_us``; return them collated."""
        events: list[Message] = []
        deadline = time.monotonic() + max_wait_s
        while self.t_device_us < t_device_us:
            if time.monotonic() > deadline:
                raise LuiTimeoutError(f"probe on {self.port!r} did not reach t={t_device_us} us "
                                      f"within {max_wait_s} s; fix: check the connection")
            events += self.poll(0.05)
            self.device_time_us()
        events += list(self._events)
        self._events.clear()
        return Recording.from_events(events, self.lost_frames)

    def device_time_us(self) -> int:
        """Ask the probe for its clock (microseconds); also updates :attr:`t_device_us`."""
        self._command(Identify(), expect_identity=True)
        return self.t_device_us
