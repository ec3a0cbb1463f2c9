"""Per-language drivers: `program(code, cases) -> str`, the whole program the sandbox runs for a set of cases.

A driver evaluates each case's call on the answer's code and writes one record per case, in order, to the fd in
`$EVOL_RESULTS_FD` (see JUDGE_SPEC / docs/verification.md). `driver_for(language)` finds a language's module.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def driver_for(language: str) -> ModuleType | None:
    """The driver module of `language` (evol/verification/drivers/<language>.py), None when there is none."""
    try:
        return importlib.import_module(f"evol.verification.drivers.{language}")
    except ModuleNotFoundError:
        return None
