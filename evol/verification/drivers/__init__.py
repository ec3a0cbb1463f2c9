"""Per-language drivers: `program(code, cases) -> str`, the whole program the sandbox runs for a set of cases.

A driver evaluates each case's call on the answer's code and writes one record per case, in order, to the fd in
`$EVOL_RESULTS_FD` (see JUDGE_SPEC / docs/verification.md). `driver_for(language)` finds a language's module.
A driver whose language cannot reach the fd (sqlite3 -safe) also has `records(raw: bytes) -> bytes`, turning
what the run wrote to stdout into the record lines. The expected values never enter the program: a driver only
claims outputs; the trusted parent decodes and compares them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from types import ModuleType
from typing import Protocol


class CallCase(Protocol):
    """What a driver reads of a case: its call expression (evol.verification.cases.Case has it)."""

    call: str | None


def driver_for(language: str) -> ModuleType | None:
    """The driver module of `language` (evol/verification/drivers/<language>.py), None when there is none."""
    try:
        return importlib.import_module(f"evol.verification.drivers.{language}")
    except ModuleNotFoundError:
        return None


def calls(cases: Sequence[CallCase]) -> list[str]:
    """The call of every case, in order (a stdin case has no place in a driver program)."""
    found = [case.call for case in cases]
    if any(not isinstance(call, str) or not call.strip() for call in found):
        raise ValueError("every case of a driver program needs a call")
    return [call.strip() for call in found]  # type: ignore[union-attr]


def fill(template: str, **parts: str) -> str:
    """`template` with each @NAME@ replaced by parts[name] in one pass (a part's own text is never rescanned)."""
    return re.sub(r"@([A-Z]+)@", lambda m: parts[m.group(1).lower()], template)
