"""The results channel of a spawned run: a pipe whose write end the child inherits (its number in
$EVOL_RESULTS_FD) and whose read end a host thread drains, keeping at most `cap + 1` bytes (more than `cap`
tells the judge the program flooded it). The child cannot reach the host's copy of what was read."""

from __future__ import annotations

import os
import threading

ENV = "EVOL_RESULTS_FD"


class Channel:
    """One run's results pipe: `env()` and `fds` for the child, `close_child_end()` after it started, and
    `collect()` (the bytes read) after it ended."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._read, self._write = os.pipe()
        self._data = bytearray()
        self._thread = threading.Thread(target=self._drain, name="results-channel", daemon=True)
        self._started = False

    @property
    def fds(self) -> tuple[int, ...]:
        return (self._write,)

    def env(self) -> dict[str, str]:
        return {ENV: str(self._write)}

    def start(self) -> None:
        """Close the host's copy of the write end (the child holds its own) and start draining."""
        os.close(self._write)
        self._started = True
        self._thread.start()

    def _drain(self) -> None:
        try:
            while len(self._data) <= self.cap:
                chunk = os.read(self._read, min(1 << 16, self.cap + 1 - len(self._data)))
                if not chunk:
                    return
                self._data += chunk
        finally:
            os.close(self._read)  # past the cap: the writer gets EPIPE

    def collect(self, timeout: float = 5.0) -> bytes:
        """What the run wrote (at most cap + 1 bytes); call once everything of the run is dead."""
        if not self._started:
            for fd in (self._read, self._write):
                os.close(fd)
            self._started = True  # collected: nothing to close again
            return b""
        self._thread.join(timeout)
        return bytes(self._data)
