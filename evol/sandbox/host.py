"""Host-side plumbing of the sandbox: worker slots, what the child may read, waiting for it, killing it."""

from __future__ import annotations

import os
import select
import signal
import site
import subprocess
import threading
from pathlib import Path

SYSTEM_READ_ROOTS = (
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/etc/localtime",
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/sys/devices/system/cpu",
)


_slot_lock = threading.Lock()
_next_slot = [1]  # slot 0 is the probe's


def reserve_slots(n: int) -> list[int]:
    """Slot numbers unique within this process, so two Sandbox objects never share a uid."""
    with _slot_lock:
        first = _next_slot[0]
        _next_slot[0] += n
    return list(range(first, first + n))


def cpus() -> int:
    """CPUs this process may use (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def site_dirs() -> list[str]:
    """This interpreter's site-packages (the child runs with -S and gets them on sys.path explicitly)."""
    dirs = site.getsitepackages() if hasattr(site, "getsitepackages") else []
    return [d for d in dirs if os.path.isdir(d)]


def wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the child to exit; False on timeout. A pidfd wakes us at once (Popen.wait polls)."""
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(proc.pid)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                return bool(select.select([fd], [], [], timeout)[0]) or proc.poll() is not None
            finally:
                os.close(fd)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def kill_tree(proc: subprocess.Popen[bytes], uid: int | None) -> None:
    """SIGKILL the run's process group (a PID namespace dies with its init) and, if given, its uid."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid is None:
        return
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uids = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:"))
            if int(uids.split()[1]) == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, StopIteration, ValueError):
            continue
