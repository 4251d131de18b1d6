"""Probe firmware in C: host build, its unit tests, and agreement with the Python protocol."""
import subprocess

import pytest
from hypothesis import example, given, settings, strategies as st

from lui_board.firmware_build import build_host
from lui_board.protocol import Frame, FrameDecoder, encode_frame


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("lui_fw"))


def test_firmware_unit_tests_pass(firmware):
    proc = subprocess.run([firmware["test_lui_probe"]], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "all tests passed" in proc.stdout


def _c_decode(tool, data: bytes):
    out = subprocess.run([tool, "decode"], input=data, capture_output=True, timeout=30).stdout.decode()
    lines = out.splitlines()
    frames = []
    for line in lines[:-1]:                     # "F <type> <seq> <payload hex>"
        _, mtype, seq, payload = line.split(" ")
        frames.append(Frame(int(mtype), int(seq), bytes.fromhex(payload)))
    discarded, crc_errors = map(int, lines[-1].split()[1:])
    return frames, discarded, crc_errors


frames_st = st.lists(st.builds(Frame, st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=255)),
                     min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(frames_st, st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=12)), max_size=6),
       st.lists(st.integers(0, 4000), max_size=4))
def test_c_and_python_decode_the_same_damaged_streams(firmware, frames, inserts, cuts):
    wire = bytearray(b"".join(encode_frame(f) for f in frames))
    for pos, junk in inserts:                                   # garbage at random places
        wire[pos % (len(wire) + 1):pos % (len(wire) + 1)] = junk
    for pos in cuts:                                            # dropped bytes
        if wire:
            del wire[pos % len(wire)]
    py = FrameDecoder()
    py_frames = py.feed(bytes(wire))
    c_frames, discarded, crc_errors = _c_decode(firmware["lui_vectors"], bytes(wire))
    assert c_frames == py_frames
    assert (discarded, crc_errors) == (py.discarded_bytes, py.crc_errors)


@settings(max_examples=30, deadline=None)
@given(frames_st)
def test_c_encoder_matches_python(firmware, frames):
    lines = "".join(f"{f.type} {f.seq} {f.payload.hex() or '-'}\n" for f in frames)
    out = subprocess.run([firmware["lui_vectors"], "encode"], input=lines.encode(), capture_output=True,
                         timeout=30).stdout.decode().split()
    assert [bytes.fromhex(h) for h in out] == [encode_frame(f) for f in frames]


commands_st = st.lists(st.one_of(
    st.builds(Frame, st.sampled_from([0x01, 0x02, 0x03, 0x04, 0x05, 0x42, 0x80, 0x82]),
              st.integers(0, 0xFFFF), st.binary(max_size=14)),
    st.builds(lambda ch, w, t, seq: Frame(0x02, seq, bytes([ch]) + w.to_bytes(4, "little") + t.to_bytes(8, "little")),
              st.integers(0, 4), st.integers(0, 2**32 - 1), st.integers(0, 2**40), st.integers(0, 0xFFFF)),
    st.builds(lambda rate, seq: Frame(0x05, seq, rate.to_bytes(4, "little")),
              st.integers(0, 20_000), st.integers(0, 0xFFFF)),
    st.builds(lambda mask, seq: Frame(0x03, seq, bytes([mask])), st.integers(0, 7), st.integers(0, 0xFFFF)),
), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(commands_st)
@example([Frame(0x02, seq, bytes([seq % 3]) + (15000).to_bytes(4, "little") + bytes(8)) for seq in range(20)])
def test_simulated_probe_answers_like_the_firmware(firmware, commands):
    """The Python device behind the simulator and the C firmware core give the same replies."""
    from lui_board.device import ProbeDevice
    from lui_board.network import Network
    from lui_board.parameters import BoardSettings
    from lui_board.protocol import Ack, Identity, decode_message

    wire = b"".join(encode_frame(f) for f in commands)
    c_out = subprocess.run([firmware["lui_vectors"], "probe"], input=wire, capture_output=True, timeout=30).stdout
    boards = {f"b{k}": BoardSettings() for k in range(4)}           # as many channels as lui_hal.h
    py_out = ProbeDevice(Network(boards, spike_inputs=list(boards), membrane_inputs=["b0", "b1"])).receive(wire)

    def replies(data):
        out = []
        for frame in FrameDecoder().feed(data):
            msg = decode_message(frame)
            out.append((msg.acked_seq, msg.status) if isinstance(msg, Ack) else
                       (msg.protocol, msg.n_pulse, msg.n_spike, msg.n_membrane) if isinstance(msg, Identity) else msg)
        return out
    assert replies(c_out) == replies(py_out)
    assert len(replies(c_out)) == len(commands)
