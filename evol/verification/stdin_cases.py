"""Stdin cases outside Python: the answer's own program runs once per case with the case's text on its
standard input (a compiled language builds once: the build is cached by source), and the parent reads its
stdout and observes its exit status; nothing runs inside the program to report for it. The call cases of the
same set still go through the language's driver, in one run."""

from __future__ import annotations

from typing import Any

from evol.sandbox import Limits
from evol.verification.cases import Case
from evol.verification.judge import CaseRun, Output, run_cases


def run_programs(sandbox: Any, code: str, language: str, cases: list[Case], limits: Limits | None,
                 cap: int) -> CaseRun:
    """The CaseRun of `cases` (some of them stdin cases) on `code`."""
    outputs: list[Output | None] = [None] * len(cases)
    status, seconds, detail, exit_code, signal = "completed", 0.0, "", None, None
    calls = [i for i, case in enumerate(cases) if case.call is not None]
    if calls:
        sub = run_cases(sandbox, code, language, [cases[i] for i in calls], limits, cap)
        for i, out in zip(calls, sub.outputs, strict=True):
            outputs[i] = out
        status, seconds, detail, exit_code, signal = sub.status, sub.seconds, sub.detail, sub.exit_code, sub.signal
    for i, case in enumerate(cases):
        if case.stdin is None:
            continue
        res = sandbox.run(code, language=language, limits=limits, exit_ok=False, results=cap, stdin=case.stdin)
        seconds += res.duration_s
        if res.kind == "RunnerMissing":
            return CaseRun(outputs, "unverifiable", res.exit_code, None, round(seconds, 4), res.error or "")
        if res.status == "timed_out":
            status, detail = "timeout", res.error or "timed out"
        elif len(res.results or b"") > cap:
            status, detail = "crashed", f"the program printed more than {cap} bytes"
        elif res.status == "passed":
            outputs[i] = Output(True, (res.results or b"").decode("utf-8", errors="replace"))
        else:
            outputs[i] = Output(False, error=res.kind or "failed", where="answer")
    return CaseRun(outputs, status, exit_code, signal, round(seconds, 4), detail)
