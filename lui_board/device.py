"""The probe's behaviour in front of simulated boards: the device side of the protocol.

It follows the C firmware (``lui_board/firmware/lui_probe.c``) command for command: a pulse
queue scheduled on the probe clock, a membrane ADC stream (12 bit, 3.3 V reference) sent in
batches of about 20 ms, and spike timestamps from the spike inputs.
"""
from __future__ import annotations

import numpy as np

from .network import Network, NetworkState
from .protocol import (MAX_RATE_HZ, MAX_SAMPLES_PER_FRAME, MIN_RATE_HZ, PROTOCOL_VERSION, Ack,
                       FrameDecoder, Identify, Identity, LuiProtocolError, Message, Pulse,
                       Samples, SetSampleRate, Spike, StartSampling, Status, StopSampling,
                       decode_message, encode_message)

FW_VERSION = (1, 0)
PULSE_QUEUE_LEN = 16
ADC_BITS, ADC_REF_MV = 12, 3300
DEFAULT_RATE_HZ = 1000
BATCHES_PER_S = 50


def adc_mv(v_volt: np.ndarray) -> np.ndarray:
    """What the 12-bit ADC reports for ``v_volt``, in millivolts (clipped to 0..3.3 V)."""
    full = (1 << ADC_BITS) - 1
    code = np.clip(np.round(np.asarray(v_volt) * 1000.0 / ADC_REF_MV * full), 0, full)
    return np.round(code * ADC_REF_MV / full).astype(int)


class ProbeDevice:
    """Simulated probe + boards. Feed host bytes with :meth:`receive`, advance time with
    :meth:`advance`; both return the bytes the probe sends back."""

    def __init__(self, network: Network, name: str = "lui-probe-sim") -> None:
        self.state = NetworkState(network)
        self.network = network
        self.name = name
        self._decoder = FrameDecoder()
        self._seq = 0
        self._pulses: list[tuple[int, int, int]] = []       # channel, t_start_us, t_end_us
        self._rate_hz = DEFAULT_RATE_HZ
        self._mask = 0
        self._next_sample_us = 0
        self._batch: dict[int, list[int]] = {}
        self._batch_t0: dict[int, int] = {}

    @property
    def t_us(self) -> int:
        """Probe clock in microseconds."""
        return int(round(self.state.boards.t_s * 1e6))

    def _send(self, msg: Message) -> bytes:
        data = encode_message(msg, self._seq)
        self._seq = (self._seq + 1) & 0xFFFF
        return data

    def receive(self, data: bytes) -> bytes:
        """Process host bytes; return the replies."""
        out = bytearray()
        for frame in self._decoder.feed(data):
            try:
                msg = decode_message(frame)
            except LuiProtocolError:
                known = frame.type in (0x01, 0x02, 0x03, 0x04, 0x05)
                out += self._send(Ack(frame.seq, Status.BAD_LENGTH if known else Status.UNKNOWN_COMMAND,
                                      self.t_us))
                continue
            out += self._handle(msg, frame.seq)
        return bytes(out)

    def _handle(self, msg: Message, seq: int) -> bytes:
        status = Status.OK
        if isinstance(msg, Identify):
            return self._send(Identity(PROTOCOL_VERSION, *FW_VERSION, self.network.n_probe_outputs,
                                       len(self.network.spike_inputs), len(self.network.membrane_inputs),
                                       self.t_us, self.name))
        if isinstance(msg, Pulse):
            if not 0 <= msg.channel < self.network.n_probe_outputs:
                status = Status.BAD_CHANNEL
            elif len(self._pulses) >= PULSE_QUEUE_LEN:
                status = Status.QUEUE_FULL
            else:
                start = msg.t_start_us or self.t_us
                self._pulses.append((msg.channel, start, start + msg.width_us))
        elif isinstance(msg, StartSampling):
            if msg.channel_mask >> len(self.network.membrane_inputs):
                status = Status.BAD_CHANNEL
            else:
                self._mask = msg.channel_mask
                self._next_sample_us = self.t_us
                self._batch = {}
        elif isinstance(msg, StopSampling):
            out = self._flush_samples()
            self._mask = 0
            return out + self._send(Ack(seq, status, self.t_us))
        elif isinstance(msg, SetSampleRate):
            if not MIN_RATE_HZ <= msg.rate_hz <= MAX_RATE_HZ:
                return self._send(Ack(seq, Status.BAD_RATE, self.t_us))
            out = self._flush_samples()
            self._rate_hz = msg.rate_hz
            return out + self._send(Ack(seq, status, self.t_us))
        else:
            status = Status.UNKNOWN_COMMAND
        return self._send(Ack(seq, status, self.t_us))

    def advance(self, duration_s: float) -> bytes:
        """Run the boards for ``duration_s`` seconds; return the event and sample frames."""
        out = bytearray()
        st = self.state
        n_steps = max(1, int(round(duration_s / st.dt_s)))
        period_us = self._period_us()
        batch_len = int(np.clip(self._rate_hz // BATCHES_PER_S, 1, MAX_SAMPLES_PER_FRAME))
        for _ in range(n_steps):
            now = self.t_us
            probe_high = np.zeros(self.network.n_probe_outputs, dtype=bool)
            for ch, start, end in self._pulses:
                if start <= now < end:
                    probe_high[ch] = True
            self._pulses = [p for p in self._pulses if p[2] > now]
            while self._mask and self._next_sample_us <= now:
                v_mv = adc_mv(st.boards.v_mem[st.membrane_index])
                for ch in range(len(st.membrane_index)):
                    if self._mask >> ch & 1:
                        batch = self._batch.setdefault(ch, [])
                        if not batch:
                            self._batch_t0[ch] = self._next_sample_us
                        batch.append(int(v_mv[ch]))
                        if len(batch) >= batch_len:
                            out += self._flush_channel(ch)
                self._next_sample_us += period_us
            spikes = st.step(probe_high)
            for k, board in enumerate(st.spike_index):
                if not np.isnan(spikes[board]):
                    out += self._send(Spike(k, int(round(spikes[board] * 1e6))))
        return bytes(out)

    def _flush_channel(self, ch: int) -> bytes:
        samples = self._batch.pop(ch, [])
        if not samples:
            return b""
        return self._send(Samples(ch, self._batch_t0[ch], self._period_us(), tuple(samples)))

    def _period_us(self) -> int:
        """Sample period in microseconds, rounded half up like the firmware's integer division."""
        return (1_000_000 + self._rate_hz // 2) // self._rate_hz

    def _flush_samples(self) -> bytes:
        return b"".join(self._flush_channel(ch) for ch in list(self._batch))
