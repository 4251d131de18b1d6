"""The Lu.i probe wire protocol, version 1 (this suite's own design; the board has no digital
interface of its own, see github.com/giant-axon/lu.i-neuron-pcb doc/electronic-interface.md).

Frame (all multi-byte fields little-endian)::

    0xA5 0x5A | version u8 | type u8 | seq u16 | len u8 | payload[len] | crc32 u32

The CRC-32 (IEEE 802.3, as ``zlib.crc32``) covers version..payload. Each direction numbers
its frames with its own 16-bit sequence counter, so a receiver detects lost frames from gaps.
A receiver resynchronises after garbage by dropping one byte and searching for the next sync
word whenever a header is invalid or a CRC fails. The C twin is ``lui_board/firmware/lui_protocol.c``;
both are tested against the same byte streams.

Message payloads (times in microseconds of the probe's clock, voltages in millivolts):

=========  ====  ========================================================================
IDENTIFY   0x01  (empty) -> IDENTITY
PULSE      0x02  channel u8, width_us u32, t_start_us u64 (0 = now)          -> ACK
START      0x03  channel_mask u8 (membrane ADC channels)                       -> ACK
STOP       0x04  (empty)                                                        -> ACK
SET_RATE   0x05  rate_hz u32 (10..10000)                                        -> ACK
ACK        0x80  acked_seq u16, status u8, t_device_us u64
IDENTITY   0x81  protocol u8, fw_major u8, fw_minor u8, n_pulse u8, n_spike u8,
                 n_membrane u8, t_device_us u64, name (utf-8, rest of payload)
SAMPLES    0x82  channel u8, t_first_us u64, period_us u32, v_mv u16 * n
SPIKE      0x83  channel u8, t_us u64
=========  ====  ========================================================================
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from .errors import LuiProtocolError

SYNC = b"\xA5\x5A"
PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHB")     # version, type, seq, len (after the sync word)
CRC = struct.Struct("<I")
MAX_PAYLOAD = 255
MIN_FRAME = len(SYNC) + HEADER.size + CRC.size
MAX_SAMPLES_PER_FRAME = (MAX_PAYLOAD - 13) // 2
MIN_RATE_HZ, MAX_RATE_HZ = 10, 10_000


class MsgType(IntEnum):
    """Frame types; host commands below 0x80, device replies and events from 0x80."""

    IDENTIFY = 0x01
    PULSE = 0x02
    START = 0x03
    STOP = 0x04
    SET_RATE = 0x05
    ACK = 0x80
    IDENTITY = 0x81
    SAMPLES = 0x82
    SPIKE = 0x83


class Status(IntEnum):
    """ACK status codes."""

    OK = 0
    BAD_CHANNEL = 1
    BAD_RATE = 2
    QUEUE_FULL = 3
    BAD_LENGTH = 4
    UNKNOWN_COMMAND = 5


@dataclass(frozen=True)
class Frame:
    """A CRC-checked frame: type, sequence number and raw payload."""

    type: int
    seq: int
    payload: bytes


def crc32(data: bytes) -> int:
    """CRC-32/IEEE of ``data`` (identical to the C ``lui_crc32``)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_frame(frame: Frame) -> bytes:
    """Serialise a frame with sync word and CRC."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise LuiProtocolError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(PROTOCOL_VERSION, frame.type, frame.seq & 0xFFFF, len(frame.payload)) + frame.payload
    return SYNC + body + CRC.pack(crc32(body))


class FrameDecoder:
    """Incremental frame parser with resynchronisation.

    ``feed(data)`` returns the complete, CRC-valid frames found so far. Invalid headers and
    CRC failures drop one byte and resume the search at the next sync word; counters
    ``discarded_bytes`` and ``crc_errors`` report the damage.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded_bytes = 0
        self.crc_errors = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Append received bytes; return the frames completed by them."""
        self._buf += data
        frames: list[Frame] = []
        buf = self._buf
        while True:
            start = buf.find(SYNC)
            if start < 0:
                keep = 1 if buf.endswith(SYNC[:1]) else 0
                self.discarded_bytes += len(buf) - keep
                del buf[:len(buf) - keep]
                break
            self.discarded_bytes += start
            del buf[:start]
            if len(buf) < len(SYNC) + HEADER.size:
                break
            version, _, _, length = HEADER.unpack_from(buf, len(SYNC))
            if version != PROTOCOL_VERSION:
                self._drop_one()
                continue
            total = len(SYNC) + HEADER.size + length + CRC.size
            if len(buf) < total:
                break
            body = bytes(buf[len(SYNC):total - CRC.size])
            if CRC.unpack_from(buf, total - CRC.size)[0] != crc32(body):
                self.crc_errors += 1
                self._drop_one()
                continue
            _, mtype, seq, _ = HEADER.unpack_from(body)
            frames.append(Frame(mtype, seq, body[HEADER.size:]))
            del buf[:total]
        return frames

    def _drop_one(self) -> None:
        del self._buf[:1]
        self.discarded_bytes += 1


class SequenceTracker:
    """Counts frames lost between consecutive 16-bit sequence numbers of one direction."""

    def __init__(self) -> None:
        self._expected: int | None = None
        self.lost_frames = 0

    def check(self, seq: int) -> int:
        """Register ``seq``; return how many frames were skipped before it (0 if none)."""
        gap = 0 if self._expected is None else (seq - self._expected) & 0xFFFF
        self.lost_frames += gap
        self._expected = (seq + 1) & 0xFFFF
        return gap


# --- messages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identify:
    """Ask the probe who it is."""


@dataclass(frozen=True)
class Pulse:
    """Drive synapse output ``channel`` high for ``width_us`` from ``t_start_us`` (0 = now)."""

    channel: int
    width_us: int
    t_start_us: int = 0


@dataclass(frozen=True)
class StartSampling:
    """Stream membrane samples of the ADC channels set in ``channel_mask``."""

    channel_mask: int = 1


@dataclass(frozen=True)
class StopSampling:
    """Stop streaming membrane samples."""


@dataclass(frozen=True)
class SetSampleRate:
    """Set the membrane sample rate in hertz."""

    rate_hz: int


@dataclass(frozen=True)
class Ack:
    """Reply to a command: which command (by its sequence number), status, probe clock."""

    acked_seq: int
    status: Status
    t_device_us: int


@dataclass(frozen=True)
class Identity:
    """Reply to :class:`Identify`."""

    protocol: int
    fw_major: int
    fw_minor: int
    n_pulse: int
    n_spike: int
    n_membrane: int
    t_device_us: int
    name: str


@dataclass(frozen=True)
class Samples:
    """Membrane samples of one ADC channel: ``v_mv[i]`` taken at ``t_first_us + i*period_us``."""

    channel: int
    t_first_us: int
    period_us: int
    v_mv: tuple[int, ...]


@dataclass(frozen=True)
class Spike:
    """Rising edge of a board's axon output seen on spike input ``channel``."""

    channel: int
    t_us: int


Message = Union[Identify, Pulse, StartSampling, StopSampling, SetSampleRate, Ack, Identity,
                Samples, Spike]

_FIXED = {
    MsgType.PULSE: struct.Struct("<BIQ"),
    MsgType.START: struct.Struct("<B"),
    MsgType.SET_RATE: struct.Struct("<I"),
    MsgType.ACK: struct.Struct("<HBQ"),
    MsgType.SPIKE: struct.Struct("<BQ"),
}
_IDENTITY_HEAD = struct.Struct("<BBBBBBQ")
_SAMPLES_HEAD = struct.Struct("<BQI")
_EMPTY = {MsgType.IDENTIFY: Identify, MsgType.STOP: StopSampling}
_CLASSES = {MsgType.PULSE: Pulse, MsgType.START: StartSampling, MsgType.SET_RATE: SetSampleRate,
            MsgType.ACK: Ack, MsgType.SPIKE: Spike}


def encode_message(msg: Message, seq: int) -> bytes:
    """Serialise ``msg`` into a complete frame with sequence number ``seq``."""
    if isinstance(msg, Identify):
        mtype, payload = MsgType.IDENTIFY, b""
    elif isinstance(msg, StopSampling):
        mtype, payload = MsgType.STOP, b""
    elif isinstance(msg, Pulse):
        mtype, payload = MsgType.PULSE, _FIXED[MsgType.PULSE].pack(msg.channel, msg.width_us, msg.t_start_us)
    elif isinstance(msg, StartSampling):
        mtype, payload = MsgType.START, _FIXED[MsgType.START].pack(msg.channel_mask)
    elif isinstance(msg, SetSampleRate):
        mtype, payload = MsgType.SET_RATE, _FIXED[MsgType.SET_RATE].pack(msg.rate_hz)
    elif isinstance(msg, Ack):
        mtype, payload = MsgType.ACK, _FIXED[MsgType.ACK].pack(msg.acked_seq, msg.status, msg.t_device_us)
    elif isinstance(msg, Spike):
        mtype, payload = MsgType.SPIKE, _FIXED[MsgType.SPIKE].pack(msg.channel, msg.t_us)
    elif isinstance(msg, Identity):
        mtype = MsgType.IDENTITY
        payload = _IDENTITY_HEAD.pack(msg.protocol, msg.fw_major, msg.fw_minor, msg.n_pulse,
                                      msg.n_spike, msg.n_membrane, msg.t_device_us) + msg.name.encode()
    elif isinstance(msg, Samples):
        if len(msg.v_mv) > MAX_SAMPLES_PER_FRAME:
            raise LuiProtocolError(f"{len(msg.v_mv)} samples exceed {MAX_SAMPLES_PER_FRAME} per frame")
        mtype = MsgType.SAMPLES
        payload = _SAMPLES_HEAD.pack(msg.channel, msg.t_first_us, msg.period_us) + struct.pack(
            f"<{len(msg.v_mv)}H", *msg.v_mv)
    else:
        raise TypeError(f"not a protocol message: {msg!r}")
    return encode_frame(Frame(mtype, seq, payload))


def decode_message(frame: Frame) -> Message:
    """Interpret a CRC-valid frame; raise :class:`LuiProtocolError` on an unknown type or a
    payload of the wrong length."""
    try:
        mtype = MsgType(frame.type)
    except ValueError:
        raise LuiProtocolError(f"unknown frame type 0x{frame.type:02x}") from None
    p = frame.payload
    try:
        if mtype in _EMPTY:
            if p:
                raise struct.error("unexpected payload")
            return _EMPTY[mtype]()
        if mtype in _FIXED:
            fields = _FIXED[mtype].unpack(p)
            if mtype is MsgType.ACK:
                return Ack(fields[0], Status(fields[1]), fields[2])
            return _CLASSES[mtype](*fields)
        if mtype is MsgType.IDENTITY:
            head = _IDENTITY_HEAD.unpack_from(p)
            return Identity(*head, name=p[_IDENTITY_HEAD.size:].decode("utf-8", "replace"))
        channel, t_first, period = _SAMPLES_HEAD.unpack_from(p)
        rest = p[_SAMPLES_HEAD.size:]
        if len(rest) % 2:
            raise struct.error("odd sample bytes")
        return Samples(channel, t_first, period, struct.unpack(f"<{len(rest) // 2}H", rest))
    except (struct.error, ValueError) as exc:
        raise LuiProtocolError(f"malformed {mtype.name} payload ({len(p)} bytes): {exc}") from None
