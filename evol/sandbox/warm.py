"""The warm executor for Python: per worker slot, one fork server (zygote.py) inside the slot's sandbox.

The server starts once per slot with the same prefix as a spawned run (bwrap, setpriv to the slot's uid,
no capability) and forks a fresh child per program, so a program pays for a fork instead of an
interpreter start-up. Between programs nothing is kept: the child exits, whatever it started is killed
and /tmp (the only writable place) is wiped, then checked: a slot the server cannot prove clean (an
entry, a used block or inode, a message queue or a process left) is given up and the next run starts a
new server. Should the server die during a run (a program of the same uid may kill it), that run fails
with kind "ExecutorLost"; a server that dies between runs, or cannot start a program, is replaced and
the program runs on the new one (`NotStarted`). The per-run tmpfs size is the Sandbox's `limits.disk_mb`
(the tmpfs is the server's); with a slot cgroup (cgroup.py) the server and every program of the slot
share one memory and task cap.
"""

from __future__ import annotations

import marshal
import os
import secrets
import select
import struct
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from evol.sandbox import host, probe
from evol.sandbox.outcome import classify, parse_reports
from evol.sandbox.policy import Isolation, Limits, RunResult, SandboxHost

HERE = Path(__file__).parent
SERVER = "ZYGOTE = True\n\n" + "\n\n".join(
    (HERE / name).read_text(encoding="utf-8") for name in ("guard.py", "driver_runtime.py", "boot.py", "zygote.py")
)
GRACE_S = 10.0  # the host's wait beyond the program's timeout before it gives the server up


class NotStarted(RuntimeError):
    """The server could not start the program (it never ran); the caller retries on a new server."""


class Zygote:
    """One slot's fork server and its pipes."""

    def __init__(self, sandbox: SandboxHost, slot: int, iso: Isolation, enter: list[str] | None = None) -> None:
        """`enter`: words that put the server in the slot's cgroup before bwrap starts (cgroup.py)."""
        self.uid = probe.slot_uid(iso, slot, server=True)
        self.iso = iso
        self.cwd = tempfile.mkdtemp(prefix="evol-zygote-")
        prefix = [
            *(enter or []),
            *probe.command_prefix(iso, slot, sandbox.limits.disk_mb, sandbox.exposed, server=True),
        ]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": probe.WORK}
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-I", "-S", "-B", "-c", SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=self.cwd,
            start_new_session=True,
        )
        self._send(
            {
                "site_dirs": sandbox.site_dirs,
                "read_roots": sandbox.read_roots,
                "hidden": host.answer_key_dirs(),
                "guard": sandbox.guard,
                "allow_ctypes": self.uid is not None,
                "host_pidns": os.readlink("/proc/self/ns/pid"),
            }
        )

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        data = marshal.dumps(obj)
        self.proc.stdin.write(struct.pack("!I", len(data)) + data)
        self.proc.stdin.flush()

    def _recv(self, timeout: float) -> dict[str, Any] | None:
        """The server's next message, or None when none starts within `timeout` or the pipe ends. Read with
        os.read on the fd, never through a buffered reader: one that read ahead would hold the next message
        (the pristine server's `reaped` right after the worker's answer) where select cannot see it."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], timeout)[0]:
            return None
        head = _read_exact(fd, 4)
        if head is None:
            return None
        body = _read_exact(fd, struct.unpack("!I", head)[0])
        return None if body is None else marshal.loads(body)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(
        self, program: str, limits: Limits, exit_ok: bool, env: dict[str, str], results: int | None = None
    ) -> RunResult:
        """Run one program in a fresh fork (`results`: give it a results channel, keep cap + 1 bytes)."""
        nonce = secrets.token_hex(16)
        rlimits = limits.rlimits()
        if self.uid is None:
            rlimits.pop("RLIMIT_NPROC")
        request = {
            "program": program,
            "nonce": nonce,
            "limits": rlimits,
            "alarm_s": int(limits.timeout_s) + 3,
            "timeout_s": limits.timeout_s,
            "exit_ok": exit_ok,
            "allow_fork": limits.allow_fork and self.uid is not None,
            "env": env,
            "results": results,
        }
        try:
            self._send(request)
        except (OSError, ValueError) as exc:
            self.close()
            raise NotStarted(f"the server was gone before the program was sent: {exc}") from exc
        try:
            answer = self._recv(limits.timeout_s + GRACE_S)
            reaped = self._recv(GRACE_S) if answer is not None and "reaped" not in answer else None
        except (OSError, ValueError, EOFError):
            answer = reaped = None
        if answer is None or "reaped" in answer or reaped is None:  # the worker died without answering
            self.close()
            return RunResult("failed", "ExecutorLost", "the warm executor died or stopped answering during the run")
        if "error" in answer:
            self.close()
            raise NotStarted(answer["error"])
        if not answer.get("clean"):
            self.close()  # the program ran; the slot it leaves is not reused
        reports = parse_reports(answer["status"], nonce)
        res = classify(
            reports,
            answer["exit"],
            answer["timed_out"],
            answer["duration"],
            limits,
            exit_ok,
            answer["stdout"],
            answer["stderr"],
        )
        return res if results is None else replace(res, results=answer.get("results") or b"")

    def close(self) -> None:
        """Stop the server and everything in its namespaces."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        host.kill_tree(self.proc, self.uid if self.iso.per_slot_uid else None)
        self.proc.wait()
        os.rmdir(self.cwd) if os.path.isdir(self.cwd) else None


def _read_exact(fd: int, n: int) -> bytes | None:
    """Exactly `n` bytes from `fd` (blocking), or None at the end of the pipe."""
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def forking_works(iso: Isolation) -> str | None:
    """None when a fork server can run here; else why not (the Sandbox then spawns, and says so).

    The server cleans up after each program with kill(-1), which is safe only inside a PID namespace of
    its own as an unprivileged user; without one (no bwrap, EVOL_SANDBOX=basic) Python programs spawn.
    """
    if not hasattr(os, "fork") or not hasattr(os, "pidfd_open"):
        return "no os.fork/os.pidfd_open on this platform"
    if not iso.pidns:
        return "no PID namespace of its own (the fork server needs one to clean up after a program)"
    if iso.uid is None and iso.caller_root:
        return "the fork server would run as root"
    return None
