"""What a sandboxed run may use (Limits), how it is isolated (Isolation) and how it ended (RunResult)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

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
    """The kernel-level layers a run gets; found once per process by `probe.detect`.

    netns/pidns: `unshare` gave the child an empty network namespace / its own PID namespace.
    mountns: a private mount table: the work dir is a tmpfs at /tmp, /var/tmp and /dev/shm are read-only
        (the interpreter's folders that lie under them are bound back read-only).
    uid: the unprivileged user the child runs as (None: it keeps the caller's user).
    read_cap: the child keeps CAP_DAC_READ_SEARCH (only to reach an interpreter under an unreadable home).
    """

    netns: bool = False
    pidns: bool = False
    mountns: bool = False
    uid: int | None = None
    per_slot_uid: bool = False
    read_cap: bool = False
    reasons: tuple[str, ...] = field(default=(), compare=False)

    def describe(self) -> dict[str, Any]:
        """A summary for logs and summary.json: which layer enforces what."""
        d = asdict(self)
        d["network"] = "netns (no interfaces) + guard" if self.netns else "guard (socket creation refused)"
        d["processes"] = "pid namespace" if self.pidns else "process group"
        d["files"] = (
            "private tmpfs /tmp as work dir; /var/tmp, /dev/shm read-only; interpreter folders under them bound ro"
            if self.mountns
            else "work dir in the host's temp dir"
        )
        d["user"] = (
            f"uid {self.uid}{'+slot' if self.per_slot_uid else ''}"
            if self.uid is not None
            else "caller's uid (guard refuses fork and writes outside the work dir)"
        )
        d["reasons"] = list(self.reasons)
        return d


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
