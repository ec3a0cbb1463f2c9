"""What a sandboxed run may use (Limits), how it is isolated (Isolation) and how it ended (RunResult)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Status = Literal["passed", "failed", "timed_out"]


@dataclass(frozen=True)
class Limits:
    """Per-program limits. `timeout_s` is wall time; CPU time is capped just above it."""

    timeout_s: float = 5.0
    memory_mb: int = 1024  # RLIMIT_AS: address space of each process
    file_size_mb: int = 16  # RLIMIT_FSIZE: largest file (stdout/stderr included) a program may write
    disk_mb: int = 64  # size of the private tmpfs work dir (with a mount namespace)
    nproc: int = 16  # RLIMIT_NPROC: tasks (processes + threads) of the sandbox user
    open_files: int = 128  # RLIMIT_NOFILE
    allow_fork: bool = False  # os.fork; when False the guard refuses it (RLIMIT_NPROC still backs it)

    def rlimits(self) -> dict[str, int]:
        """The resource limits the child sets on itself before any program code runs."""
        cpu = math.ceil(self.timeout_s) + 1
        return {
            "RLIMIT_CPU": cpu,
            "RLIMIT_AS": self.memory_mb << 20,
            "RLIMIT_FSIZE": self.file_size_mb << 20,
            "RLIMIT_NPROC": self.nproc,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }


@dataclass(frozen=True)
class Isolation:
    """The kernel layers a run gets; chosen once per process by `probe.detect`.

    tool: "bwrap" (bubblewrap: new pid, net, ipc, uts and mount namespaces, a minimal read-only root with a
        private tmpfs work dir) or "none" (no namespaces: rlimits, the uid and the guard only).
    uid: the unprivileged host user the child runs as (`setpriv` inside bwrap when we are root); None: the
        caller's (without root, bwrap gives an unprivileged caller a user namespace of its own).
    per_slot_uid: each worker slot gets its own uid, so a run cannot signal or wait on another slot's.
    caller_root: evol runs as root (the default: found out), so capabilities are dropped with setpriv.
    In every mode the child holds no capability (bounding set emptied before the interpreter starts).
    """

    tool: str = "none"
    version: str = ""
    uid: int | None = None
    per_slot_uid: bool = False
    caller_root: bool = field(default_factory=lambda: hasattr(os, "geteuid") and os.geteuid() == 0)
    reasons: tuple[str, ...] = field(default=(), compare=False)

    @property
    def namespaces(self) -> tuple[str, ...]:
        if self.tool != "bwrap":
            return ()
        return ("pid", "net", "ipc", "uts", "mount") + (() if self.caller_root else ("user",))

    @property
    def netns(self) -> bool:
        return "net" in self.namespaces

    @property
    def pidns(self) -> bool:
        return "pid" in self.namespaces

    @property
    def mountns(self) -> bool:
        return "mount" in self.namespaces

    def describe(self) -> dict[str, Any]:
        """One summary for logs and summary.json: the tool in force and which layer enforces what."""
        root_reads = self.caller_root and self.uid is None
        return {
            "tool": f"bubblewrap {self.version}".strip() if self.tool == "bwrap" else "none",
            "namespaces": list(self.namespaces),
            "uid": self.uid,
            "per_slot_uid": self.per_slot_uid,
            "user": (
                f"uid {self.uid}{' + slot' if self.per_slot_uid else ''} (setpriv)"
                if self.uid is not None
                else ("root without capabilities" if self.caller_root else "the caller's uid")
            ),
            "capabilities": "none (CapEff 0, bounding set empty)",
            "network": "empty network namespace" if self.netns else "guard only (socket creation refused)",
            "processes": "pid namespace (dies with the run)" if self.pidns else "process group",
            "files": (
                "minimal read-only root (/usr, /etc, the interpreter and runner folders), private tmpfs /tmp work dir"
                if self.mountns
                else "host file system; work dir in the host's temp dir"
            ),
            "reads": (
                "NOT confined by the kernel: root-owned files are readable (EVOL_SANDBOX=basic as root)"
                if root_reads
                else "kernel file permissions of an unprivileged user"
            ),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class RunResult:
    """How one program ended. `kind` is the exception class name, "Timeout", or a signal/exit description."""

    status: Status
    kind: str | None = None
    error: str | None = None
    exit_code: int | None = None
    duration_s: float = 0.0
    stdout: str = ""
    stderr: str = ""
    results: bytes | None = None  # what the program wrote to its results channel (Sandbox.run(results=cap))

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_record(self) -> dict[str, Any]:
        """The JSON-friendly fields written to results files (output tails left out)."""
        return {
            "status": self.status,
            "kind": self.kind,
            "error": self.error,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
        }


class SandboxHost(Protocol):
    """What the runners (languages.py) and the warm executor (warm.py) use of their Sandbox, so neither imports
    runner.py, which imports them."""

    limits: Limits
    exposed: list[str]
    build_root: str
    site_dirs: list[str]
    read_roots: list[str]
    guard: bool

    def spawn(self, argv: list[str], outer: Path, limits: Limits, slot: int, iso: Isolation, *,
              fds: tuple[int, ...] = (), exposed: list[str] | None = None,
              binds: list[tuple[str, str, bool]] | None = None, env: dict[str, str] | None = None,
              stdin: Path | None = None, channel: Any = None) -> tuple[int, bool, float, str, str]: ...
