"""How a sandboxed run ended: the child's nonce-stamped reports, its exit status and the clock."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import evol.pyparse as pyparse
from evol.sandbox.policy import Limits, RunResult

TAIL = 4000


def read_reports(path: Path, nonce: str) -> list[dict[str, Any]]:
    """The status lines in `path` that carry this run's nonce."""
    return parse_reports(path.read_bytes(), nonce)


def parse_reports(data: bytes, nonce: str) -> list[dict[str, Any]]:
    """The status lines that carry this run's nonce (anything else was written by the program)."""
    found = []
    for line in data.splitlines():
        try:
            rec = pyparse.literal_eval(line.decode("utf-8", errors="replace"))  # threads parse at once
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(rec, dict) and rec.get("nonce") == nonce:
            found.append(rec)
    return found


def read_tail(path: Path) -> str:
    """The last few KB of an output file."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - TAIL))
        return fh.read().decode("utf-8", errors="replace")


ERROR_WORDS = re.compile(r"error|exception|panic|assert|failed|fault", re.I)


def error_line(stderr: str, exit_code: int) -> str:
    """The line of a non-Python failure worth showing: Go's panic/fatal error head, else the last line naming
    an error, else the last unindented one."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln[:1].isspace()]
    heads = [ln for ln in lines if ln.startswith(("panic:", "fatal error:"))]  # Go: its goroutine dump follows
    named = [ln for ln in lines if ERROR_WORDS.search(ln)]
    return (heads[:1] or named[-1:] or lines[-1:] or [f"exited with status {exit_code}"])[0][:300]


def classify(
    reports: list[dict[str, Any]],
    returncode: int,
    timed_out: bool,
    duration: float,
    limits: Limits,
    exit_ok: bool,
    stdout: str,
    stderr: str,
    *,
    exit_kind: bool = False,
) -> RunResult:
    """Turn the child's exit status, the wall clock and its reports into a RunResult.

    The exit status (observed by the parent: the process's own, or the namespace init's last `worker_exit`
    report, written after everything else in the namespace was killed) decides; the reports (the last one:
    boot writes it after the program) only name the failure. A program that forges a report and then exits
    non-zero, or is killed, fails. `exit_kind`: a program that reports nothing (not Python): a non-zero exit
    is kind "exit:N", its error the last line of stderr.
    """
    common = {"duration_s": duration, "stdout": stdout, "stderr": stderr}
    exit_code = next((r["worker_exit"] for r in reversed(reports) if type(r.get("worker_exit")) is int), returncode)
    result = next((r for r in reversed(reports) if "status" in r), None)
    if timed_out:
        return RunResult("timed_out", "Timeout", f"timed out after {limits.timeout_s:g} s", exit_code, **common)
    if exit_code < 0:
        sig = signal.Signals(-exit_code)
        if sig in (signal.SIGXCPU, signal.SIGALRM):
            return RunResult("timed_out", "Timeout", f"CPU/wall limit reached ({sig.name})", exit_code, **common)
        if sig == signal.SIGXFSZ:
            return RunResult(
                "failed", "FileSizeLimit", f"wrote more than {limits.file_size_mb} MB to a file", exit_code, **common
            )
        return RunResult("failed", f"Signal:{sig.name}", f"killed by {sig.name}", exit_code, **common)
    if exit_code == 0 and (result["status"] == "passed" if result is not None else exit_ok):
        return RunResult("passed", None, None, exit_code, **common)
    if result is not None and result["status"] != "passed":
        return RunResult("failed", result.get("kind"), result.get("error"), exit_code, **common)
    last = stderr.strip().splitlines()[-1][:300] if stderr.strip() else ""
    if exit_kind:
        return RunResult("failed", f"exit:{exit_code}", error_line(stderr, exit_code), exit_code, **common)
    return RunResult(
        "failed",
        "Exit",
        f"exited with status {exit_code} before finishing" + (f": {last}" if last else ""),
        exit_code,
        **common,
    )
