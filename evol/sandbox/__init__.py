"""The project's one place where generated code runs: a process per program, limited and isolated.

API (the verify stage, the execution filter and the evaluation depend on it; keep it):
- `Sandbox.run(program: str, *, language: str = "python", limits: Limits | None = None, exit_ok: bool = True,
  results: int | None = None) -> RunResult`: one program. Python runs the exact text as `__main__` in an empty
  temp work dir. `results=cap`: the program gets a results pipe (fd number in $EVOL_RESULTS_FD) and
  `RunResult.results` holds at most cap + 1 bytes of what it wrote there (the trusted judge reads it).
- `run_many(sandbox, items: list[tuple[key, program]], *, limits=None, exit_ok=True, language="python")`
  yields (key, RunResult) as programs finish.
- `Sandbox.supports(language) -> bool`: False when the name is unknown or the runner's tool is not on PATH.
- `canonical_language(name) -> str | None`: "python", "javascript", "bash", "sql", "cpp", "go", "rust", "java"
  from a name or alias (js, node, sh, c++, golang, rs, py...); None if unknown.
- `RunResult`: status in {"passed", "failed", "timed_out"}; `kind` is, for Python, the exception class
  name ("AssertionError", "NameError"...), for other languages "exit:N" on a non-zero exit (or
  "CompileError", a signal); `error` the last line of the error; stdout/stderr tails; duration_s. The status
  follows the exit status the parent observes; a program's own report only names the failure.
- `default_sandbox()`: the process-wide Sandbox.

from evol.sandbox import default_sandbox
result = default_sandbox().run("print(1 + 1)")   # RunResult(status="passed", ...)
"""

from __future__ import annotations

import threading

from evol.sandbox.languages import canonical_language
from evol.sandbox.policy import Isolation, Limits, RunResult
from evol.sandbox.pool import run_many
from evol.sandbox.probe import SandboxUnavailable
from evol.sandbox.runner import Sandbox

__all__ = [
    "Isolation",
    "Limits",
    "RunResult",
    "Sandbox",
    "SandboxUnavailable",
    "canonical_language",
    "default_sandbox",
    "run_many",
]

_default: Sandbox | None = None
_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox (default limits, one worker slot per CPU)."""
    global _default
    with _lock:
        if _default is None:
            _default = Sandbox()
        return _default
