"""The Python driver: the judged program is one call of the driver runtime every sandboxed Python interpreter
holds (evol/sandbox/driver_runtime.py, compiled once per warm server) on the answer's code and the cases' calls
(never their expected values)."""

from __future__ import annotations

from evol.verification.cases import Case


def program(code: str, cases: list[Case]) -> str:
    """The whole program to run for `cases` on `code` (a stdin case passes its text as a 1-tuple)."""
    calls = tuple(case.call if case.call is not None else (case.stdin or "",) for case in cases)
    return f"__evol_drive__({code!r}, {calls!r})\n"
