"""A throw-away redis-server on loopback for the shared-index tests (installed with apt when missing)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

_APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def _which() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


def _run(cmd: list[str], log: list[str]) -> None:
    try:
        done = subprocess.run(cmd, env=_APT_ENV, capture_output=True, text=True, timeout=300, check=False)
        log.append(f"$ {' '.join(cmd)} -> {done.returncode}\n{done.stderr[-800:]}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.append(f"$ {' '.join(cmd)} -> {exc}")


def redis_server_binary() -> str:
    """The redis-server executable; installs the Debian package when missing, fails the test if it cannot."""
    log: list[str] = []
    if not _which():
        _run(["apt-get", "install", "-y", "redis-server"], log)
    if not _which():  # stale package lists: refresh and retry
        _run(["apt-get", "update"], log)
        _run(["apt-get", "install", "-y", "redis-server"], log)
    found = _which()
    if not found:
        pytest.fail("redis-server is missing and `apt-get install -y redis-server` failed:\n" + "\n".join(log))
    return found


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
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
