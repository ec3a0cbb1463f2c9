"""The project's one place where generated code runs: a process per program, limited and isolated.

from evol.sandbox import default_sandbox
result = default_sandbox().run("print(1 + 1)")   # RunResult(status="passed", ...)
"""

from __future__ import annotations

import threading

from evol.sandbox.policy import Isolation, Limits, RunResult
from evol.sandbox.pool import run_many
from evol.sandbox.runner import Sandbox

__all__ = ["Isolation", "Limits", "RunResult", "Sandbox", "default_sandbox", "run_many"]

_default: Sandbox | None = None
_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox (default limits, one worker slot per CPU)."""
    global _default
    with _lock:
        if _default is None:
            _default = Sandbox()
        return _default
