"""Probe protocol v1: round trips, and property-based fuzzing of framing and resync."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from lui_board.errors import LuiProtocolError
from lui_board.protocol import (Ack, Frame, FrameDecoder, Identify, Identity, Pulse, Samples,
                                SequenceTracker, SetSampleRate, Spike, StartSampling, Status,
                                StopSampling, decode_message, encode_frame, encode_message)

u8, u16 = st.integers(0, 0xFF), st.integers(0, 0xFFFF)
u32, u64 = st.integers(0, 0xFFFFFFFF), st.integers(0, 2**64 - 1)
messages = st.one_of(
    st.just(Identify()), st.just(StopSampling()),
    st.builds(Pulse, u8, u32, u64), st.builds(StartSampling, u8), st.builds(SetSampleRate, u32),
    st.builds(Ack, u16, st.sampled_from(Status), u64),
    st.builds(Identity, u8, u8, u8, u8, u8, u8, u64, st.text(max_size=30).map(lambda s: s[:30])),
    st.builds(Samples, u8, u64, u32, st.lists(u16, max_size=121).map(tuple)),
    st.builds(Spike, u8, u64))


@given(messages, u16)
def test_every_message_round_trips(msg, seq):
    frames = FrameDecoder().feed(encode_message(msg, seq))
    assert len(frames) == 1 and frames[0].seq == seq
    assert decode_message(frames[0]) == msg


def test_wire_format_is_fixed():
    """Golden bytes: a change here breaks deployed probes (bump PROTOCOL_VERSION instead)."""
    assert encode_message(Spike(2, 1_000_000), 7).hex() == "a55a0183070009" "0240420f0000000000" "c32f30fc"
    assert encode_message(Identify(), 0).hex() == "a55a0101000000c8b9fe43"


def test_malformed_payload_is_reported():
    with pytest.raises(LuiProtocolError, match="PULSE"):
        decode_message(Frame(0x02, 0, b"\x01\x02"))
    with pytest.raises(LuiProtocolError, match="unknown frame type 0x7f"):
        decode_message(Frame(0x7F, 0, b""))


def _stream(draw_msgs):
    return [Samples(ch, t, 1000, tuple(v)) for ch, t, v in draw_msgs]


sample_msgs = st.lists(st.tuples(st.integers(0, 1), u64, st.lists(u16, min_size=1, max_size=40)),
                       min_size=5, max_size=60)


@settings(max_examples=150, deadline=None)
@given(sample_msgs, st.lists(st.binary(min_size=1, max_size=40), max_size=60), st.randoms())
def test_garbage_and_truncation_never_yield_a_corrupted_sample(raw, garbage, rnd):
    sent = _stream(raw)
    wire = bytearray()
    for i, msg in enumerate(sent):
        frame = encode_message(msg, i)
        if rnd.random() < 0.2:                             # truncate this frame
            frame = frame[:rnd.randrange(1, len(frame))]
        wire += frame
        if garbage and rnd.random() < 0.5:
            wire += garbage.pop()
    wire += b"".join(encode_message(Spike(0, 0), len(sent) + k) for k in range(25))  # flush a stall
    dec = FrameDecoder()
    chunks = [bytes(wire[i:i + rnd.randint(1, 64)]) for i in range(0, len(wire), 64)]
    got = [f for c in chunks for f in dec.feed(c)]
    for f in got:
        if f.seq < len(sent):
            assert decode_message(f) == sent[f.seq]         # any sample that arrives is intact


@settings(max_examples=60, deadline=None)
@given(sample_msgs, st.integers(0, 2**32 - 1))
def test_one_percent_byte_loss_is_detected_by_sequence_numbers(raw, seed):
    rnd = random.Random(seed)
    sent = _stream(raw) * 4
    wire = b"".join(encode_message(m, i) for i, m in enumerate(sent))
    wire += b"".join(encode_message(Spike(0, 0), len(sent) + k) for k in range(25))
    damaged = bytes(b for b in wire if rnd.random() >= 0.01)
    frames = FrameDecoder().feed(damaged)
    tracker = SequenceTracker()
    received = []
    for f in frames:
        tracker.check(f.seq)
        if f.seq < len(sent):
            assert decode_message(f) == sent[f.seq]
            received.append(f.seq)
    assert received == sorted(set(received))
    span = frames[-1].seq - frames[0].seq + 1
    assert tracker.lost_frames == span - len(frames)    # every missing frame is counted


def test_sequence_tracker_wraps_at_16_bits():
    t = SequenceTracker()
    assert [t.check(s) for s in (65534, 65535, 0, 3)] == [0, 0, 0, 2]
    assert t.lost_frames == 2


def test_decoder_is_independent_of_chunking():
    wire = b"xx\xa5" + encode_frame(Frame(0x83, 1, b"abc")) + b"\xa5\x5a\x09" + encode_frame(Frame(0x83, 2, b""))
    whole = FrameDecoder()
    a = whole.feed(wire)
    bytewise = FrameDecoder()
    b = [f for i in range(len(wire)) for f in bytewise.feed(wire[i:i + 1])]
    assert a == b and [f.seq for f in a] == [1, 2]
    assert whole.discarded_bytes == bytewise.discarded_bytes == 6
