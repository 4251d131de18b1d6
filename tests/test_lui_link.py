"""LuiLink against the board simulator on a pseudo-terminal, and its error paths."""
import os
import threading
import time

import numpy as np
import pytest

from lui_board import BoardSettings, LuiLink, LuiPortError, LuiProtocolError, LuiTimeoutError
from lui_board.model import simulate
from lui_board.network import single_board_network
from lui_board.protocol import Samples, Spike, encode_message
from lui_board.simulator import PtySimulator

STRONG = BoardSettings(weight_positions=(0.0, 0.5, 0.5), tau_syn_position=0.3)


def test_end_to_end_against_the_simulator_matches_the_model():
    with PtySimulator(single_board_network(STRONG), speed=2.0) as sim, LuiLink(sim.port) as link:
        info = link.identify()
        assert (info.protocol, info.n_pulse, info.n_spike, info.n_membrane) == (1, 3, 1, 1)
        link.set_sample_rate(2000)
        link.start_sampling((0,))
        t0 = link.t_device_us + 200_000
        starts_us = [t0 + k * 25_000 for k in range(4)]
        for t in starts_us:
            link.pulse(0, width_ms=15, at_us=t)
        rec = link.record_until(t0 + 400_000)
        link.stop_sampling()
    ref = simulate(STRONG, [[(t * 1e-6, 0.015) for t in starts_us], [], []], (t0 + 400_000) * 1e-6)
    expected = ref.spike_times_s[0]
    assert expected.size >= 1
    got = rec.spike_times_s(0)
    assert got.size == expected.size and np.abs(got - expected).max() < 2e-4
    t_s, v_volt = rec.membrane[0]
    assert np.median(np.diff(t_s)) == pytest.approx(0.5e-3)                  # 2 kHz
    window = (t_s > t0 * 1e-6) & (t_s < (t0 + 350_000) * 1e-6)
    model_v = np.interp(t_s[window], ref.t_s, ref.v_membrane_volt[:, 0])
    assert np.abs(v_volt[window] - model_v).max() < 0.03                      # ADC + step offset
    assert rec.lost_frames == 0


def test_probe_rejection_is_an_error():
    with PtySimulator(single_board_network()) as sim, LuiLink(sim.port) as link:
        with pytest.raises(LuiProtocolError, match="BAD_CHANNEL"):
            link.pulse(7)
        with pytest.raises(LuiProtocolError, match="BAD_RATE"):
            link.set_sample_rate(1_000_000)


def test_missing_port_names_the_port_and_the_fix():
    with pytest.raises(LuiPortError) as err:
        LuiLink("/dev/ttyLUI_does_not_exist")
    assert "/dev/ttyLUI_does_not_exist" in str(err.value)
    assert "bss2 lui simulate" in str(err.value) and "plug in" in str(err.value)


def test_unplugged_probe_is_reported():
    sim = PtySimulator(single_board_network())
    link = LuiLink(sim.start())
    link.identify()
    sim.stop()                                     # the far end goes away, like a pulled cable
    with pytest.raises(LuiPortError) as err:
        link.identify()
    assert sim.port in str(err.value) and "replug" in str(err.value)
    link.close()


def _fake_probe(frames_and_garbage):
    """A raw pty whose device side writes the given bytes."""
    master, slave = os.openpty()
    port = os.ttyname(slave)

    def run():
        for chunk in frames_and_garbage:
            os.write(master, chunk)
            time.sleep(0.001)
    return master, slave, port, threading.Thread(target=run, daemon=True)


def test_client_resyncs_after_garbage_and_counts_lost_frames():
    chunks = [b"\x00\xffnoise\xa5", encode_message(Spike(0, 10), 1), b"\xa5\x5a\x01\x83",   # truncated
              encode_message(Spike(0, 20), 2), encode_message(Samples(0, 0, 1000, (1, 2, 3)), 5),
              b"junk", encode_message(Spike(0, 30), 6),
              *(encode_message(Spike(1, 0), seq) for seq in range(7, 37))]   # keep streaming
    master, slave, port, thread = _fake_probe(chunks)
    with LuiLink(port) as link:
        thread.start()
        events = []
        deadline = time.monotonic() + 3
        while len(events) < 34 and time.monotonic() < deadline:
            events += link.poll(0.05)
        spikes = [e.t_us for e in events if isinstance(e, Spike) and e.channel == 0]
        assert spikes == [10, 20, 30]
        assert [e.v_mv for e in events if isinstance(e, Samples)] == [(1, 2, 3)]
        assert link.lost_frames == 2                # sequence numbers 3 and 4 never arrived
        assert link.discarded_bytes >= len(b"\x00\xffnoise\xa5") + len(b"junk")
    os.close(master), os.close(slave)


def test_silent_device_times_out_with_a_clear_message():
    master, slave = os.openpty()
    port = os.ttyname(slave)
    with LuiLink(port, timeout_s=0.3) as link:
        with pytest.raises(LuiTimeoutError) as err:
            link.identify()
    assert port in str(err.value) and "fix:" in str(err.value)
    os.close(master), os.close(slave)
