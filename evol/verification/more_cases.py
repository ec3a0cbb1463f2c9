"""More cases for tests without teeth (rStar-Coder's way): new inputs from the tests writer, their expected
values from the answers that agreed. Pure: the stage (evol/stages/more_cases.py) asks and runs.

An input becomes a case only when every agreeing answer returned a value on it (no error, no missing result),
the same value, and that value round-trips as a Python literal; inputs that are no call on literals, or repeat
a call already tested, are skipped.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from evol.text import json_replies
from evol.verification.agreement import freeze
from evol.verification.cases import Case, literal
from evol.verification.judge import Output, case_problem


def asked_calls(reply: str, known: Sequence[Case], limit: int) -> list[str]:
    """The new calls of a reply `{"calls": [...]}` (the whole text or a fenced json block): valid, unseen, at most
    `limit`."""
    found = next((d["calls"] for d in json_replies(reply) if isinstance(d, dict) and isinstance(d.get("calls"), list)),
                 [])
    seen = {c.call for c in known}
    out: list[str] = []
    for call in found:
        if isinstance(call, str) and call.strip() and call.strip() not in seen \
                and case_problem(Case(call.strip(), None, "None"), "python") is None:
            seen.add(call.strip())
            out.append(call.strip())
    return out[:limit]


def agreed_cases(calls: Sequence[str], outputs: Sequence[Sequence[Output | None]]) -> list[Case]:
    """A case for each call on which every answer's output (`outputs[answer][call]`) is the same literal value."""
    out = []
    for i, call in enumerate(calls):
        got = [row[i] for row in outputs]
        if not got or any(o is None or not o.ok for o in got):
            continue
        if len({freeze(o.value) for o in got if o is not None}) != 1:
            continue
        text = _literal_text(got[0].value if got[0] is not None else None)
        if text is not None:
            out.append(Case(call, None, text))
    return out


def _literal_text(value: Any) -> str | None:
    """`repr(value)` when it reads back as the same value (a plain literal), else None."""
    text = repr(value)
    try:
        back = literal(ast.parse(text, mode="eval").body)
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        return None
    return text if freeze(back) == freeze(value) and type(back) is type(value) else None
