"""A simulated probe with boards behind it, served on a pseudo-terminal.

Demos and tests talk to it with the same :class:`lui_board.LuiLink` that drives real hardware:
:meth:`PtySimulator.start` returns a tty path (e.g. ``/dev/pts/5``) to open like a serial port.
Time on the probe clock runs at ``speed`` times wall-clock time (as fast as the model can if it
cannot keep up). Output is written non-blocking: when the host does not read, bytes are dropped,
as a real USB serial link would, and the host sees the gap in the sequence numbers.
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty

from .device import ProbeDevice
from .network import Network

CHUNK_S = 0.005


class PtySimulator:
    """Runs a :class:`ProbeDevice` on a pty in a background thread. Use as a context manager."""

    def __init__(self, network: Network, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.device = ProbeDevice(network)
        self.speed = speed
        self.dropped_bytes = 0
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.port = ""

    def start(self) -> str:
        """Open the pty and start serving; return the port path to connect to."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name="lui-sim", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stop serving and close the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> "PtySimulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write(self, data: bytes) -> None:
        while data:
            try:
                n = os.write(self._master, data)
            except BlockingIOError:
                self.dropped_bytes += len(data)
                return
            data = data[n:]

    def _serve(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], CHUNK_S)
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                if data:
                    self._write(self.device.receive(data))
            target_s = (time.monotonic() - t0) * self.speed
            lag_s = target_s - self.device.state.boards.t_s
            if lag_s >= CHUNK_S:
                self._write(self.device.advance(min(lag_s, 4 * CHUNK_S)))
