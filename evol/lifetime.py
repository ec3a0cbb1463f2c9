"""Child processes that end with evol, even when evol itself is killed with SIGKILL.

`die_with_parent()` is a `preexec_fn` for subprocess.Popen: on Linux the kernel sends the child SIGTERM when
the thread that started it ends (prctl PR_SET_PDEATHSIG), whatever ended it. A parent that died between the
fork and the prctl call is caught too: the child then ends at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A preexec_fn that ties the child's life to this process (a no-op where prctl does not exist)."""
    parent = os.getpid()

    def preexec() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: nothing to set
            return
        if os.getppid() != parent:  # the parent is already gone
            os.kill(os.getpid(), sig)

    return preexec


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Ask a child to stop (SIGTERM); kill it if it has not exited after `timeout` seconds; reap it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
