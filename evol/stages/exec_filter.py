"""Execution filter: run an answer's ```python blocks in the sandbox and drop answers whose code crashes.

The blocks are parsed here (parsing runs nothing), then run together, in order, as one program with a
short timeout. Reason: "code_error:<kind>" (an exception class name, SyntaxError, or Timeout). Failures
that say more about the sandbox than about the code (a refused network call or subprocess, a package
that is not installed, waiting for stdin) keep the answer: the filter cannot judge it.
"""

from __future__ import annotations

from collections.abc import Sequence

import evol.pyparse as pyparse
from evol.sandbox import Limits, RunResult, default_sandbox, run_many
from evol.sandbox.settings import SandboxLike
from evol.stages.rules import Record, Rule, register
from evol.text import code_blocks

PYTHON = ("python", "py", "python3", "py3")
INCONCLUSIVE = frozenset({"SandboxViolation", "ModuleNotFoundError", "ImportError", "EOFError"})


@register
class ExecutionFilter(Rule):
    name = "code_error"

    def __init__(
        self,
        timeout_s: float = 2.0,
        memory_mb: int = 512,
        sandbox: SandboxLike | None = None,
        inconclusive: frozenset[str] = INCONCLUSIVE,
    ) -> None:
        self.limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb)
        self._sandbox = sandbox
        self.inconclusive = inconclusive

    @property
    def sandbox(self) -> SandboxLike:
        if self._sandbox is None:
            self._sandbox = default_sandbox()
        return self._sandbox

    def program(self, record: Record) -> str | None:
        """The answer's Python blocks joined in order (None when it has none)."""
        blocks = [code for lang, code in code_blocks(record.get("output") or "") if lang in PYTHON]
        return "\n\n".join(blocks) if any(b.strip() for b in blocks) else None

    def check(self, record: Record) -> str | None:
        return self.check_many([record])[0]

    def check_many(self, records: Sequence[Record]) -> list[str | None]:
        """Reasons for many records at once, their programs run in parallel on the sandbox's workers."""
        reasons: list[str | None] = [None] * len(records)
        to_run: list[tuple[int, str]] = []
        for i, record in enumerate(records):
            code = self.program(record)
            if code is None:
                continue
            bad = _syntax_error(code)
            if bad:
                reasons[i] = f"{self.name}:{bad}"
            else:
                to_run.append((i, code))
        for i, result in run_many(self.sandbox, to_run, limits=self.limits, exit_ok=True):
            reasons[i] = self.verdict(result)
        return reasons

    def verdict(self, result: RunResult) -> str | None:
        if result.status == "passed":
            return None
        if result.status == "timed_out":
            return f"{self.name}:Timeout"
        kind = result.kind or "Error"
        return None if kind in self.inconclusive else f"{self.name}:{kind}"


def _syntax_error(code: str) -> str | None:
    try:
        pyparse.parse(code)
    except SyntaxError as exc:
        return type(exc).__name__  # SyntaxError, IndentationError, TabError
    except (ValueError, RecursionError, MemoryError) as exc:
        return type(exc).__name__
    return None
