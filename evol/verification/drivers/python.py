"""The Python driver: the judged program is the driver's runtime, then one call of it on the answer's code and
the cases' calls (never their expected values)."""

from __future__ import annotations

from pathlib import Path

from evol.verification.cases import Case

RUNTIME = (Path(__file__).parent / "python_runtime.py").read_text(encoding="utf-8")


def program(code: str, cases: list[Case]) -> str:
    """The whole program to run for `cases` on `code` (a stdin case passes its text as a 1-tuple)."""
    calls = tuple(case.call if case.call is not None else (case.stdin or "",) for case in cases)
    return f"{RUNTIME}\n\n_evol_drive({code!r}, {calls!r})\n"
