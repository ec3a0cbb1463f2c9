"""A throw-away redis-server on loopback for the shared-index tests (from `make test-deps`)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from evol.lifetime import stop_process
from tests.sysdeps import require


def redis_server_binary() -> str:
    """The redis-server executable; fails the test naming `make test-deps` when it is missing."""
    return require("redis-server", ("redis-server", "/usr/bin/redis-server"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(folder: Path) -> tuple[subprocess.Popen, int]:
    """Start a server without persistence in ``folder``; returns the process and its port."""
    exe = redis_server_binary()
    for _ in range(3):  # a port picked free may be taken before the server binds it
        port = _free_port()
        log = (folder / f"redis-{port}.log").open("w")
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if _ping(port):
                return proc, port
            time.sleep(0.05)
        stop_redis(proc)
    pytest.fail(f"redis-server did not start; see {folder}: {(folder / f'redis-{port}.log').read_text()[-2000:]}")


def stop_redis(proc: subprocess.Popen) -> None:
    stop_process(proc, timeout=5)
