"""Drivers for the languages other than Python: the answer's code plus generated code that evaluates each case's
call (in that language's syntax, on literal arguments) and writes one JSON record per case, in order, to the file
descriptor named by $EVOL_RESULTS_FD (sqlite3 cannot reach it: see sql.py), with the tagged value encoding of
JUDGE_SPEC.md. The expected values never enter the program: a driver only claims outputs; the trusted parent
decodes and compares them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from types import ModuleType
from typing import Protocol

LANGUAGES = ("javascript", "bash", "sql", "cpp", "go", "rust", "java")


class CallCase(Protocol):
    """What a driver reads of a case: its call expression (evol.verification.cases.Case has it)."""

    call: str | None


def driver(language: str) -> ModuleType | None:
    """The driver module of a canonical language name; None for Python (its own judge) or an unknown one."""
    return importlib.import_module(f"{__name__}.{language}") if language in LANGUAGES else None


def program(language: str, code: str, cases: Sequence[CallCase]) -> str:
    """The whole program judging `code` on `cases` in `language`."""
    module = driver(language)
    if module is None:
        raise ValueError(f"no driver for {language!r}")
    return module.program(code, cases)


def calls(cases: Sequence[CallCase]) -> list[str]:
    """The call of every case, in order (a case without one has no place in a driver program)."""
    found = [case.call for case in cases]
    if any(not isinstance(call, str) or not call.strip() for call in found):
        raise ValueError("every case of a driver program needs a call")
    return [call.strip() for call in found]  # type: ignore[union-attr]



def fill(template: str, **parts: str) -> str:
    """`template` with each @NAME@ replaced by parts[name] in one pass (a part's own text is never rescanned)."""
    return re.sub(r"@([A-Z]+)@", lambda m: parts[m.group(1).lower()], template)
