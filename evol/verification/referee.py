"""The referee's brief and its word: contested cases (evol/verification/agreement.py `contested`) written out for
a model to settle, and its reply read back as rulings.

Each contested case is shown as its input and two outputs, A and B: the tests' expected value and the output a
group of answers agrees on. Which one is A is drawn from the case's text, so a referee that favours a position
favours neither side. Outputs are shown as literals on one line (a string's newlines escaped), at most
SHOWN_MAX characters: the judged code's outputs reach the referee only that way. The reply is a JSON object
`{"rulings": [{"input": 1, "choice": "A"}, ...]}` (the whole text, or a fenced json block); "neither", an
unknown input or an unreadable reply is no ruling, and the counting stands. Pure: no LLM, no sandbox.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from evol.text import json_replies
from evol.verification.cases import Case

SHOWN_MAX = 300  # characters of one output in a brief


@dataclass(frozen=True)
class Dispute:
    """One contested case as the referee sees it: which label (A or B) is the tests' expected value."""

    case: int
    tests_label: str  # "A" or "B"
    text: str  # the input and both outputs, numbered


def shown(value: Any, case: Case, language: str) -> str:
    """An output as the referee reads it: a literal (Python repr, else JSON), a stdin case's text quoted."""
    if case.stdin is not None:
        return json.dumps(value if isinstance(value, str) else str(value))
    if language == "python":
        return repr(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def expected_shown(case: Case) -> str:
    """The tests' side of a case as the referee reads it."""
    if case.raises:
        return f"raises {case.raises}"
    return json.dumps(case.expected) if case.stdin is not None else case.expected


def disputes(cases: list[Case], others: dict[int, str]) -> list[Dispute]:
    """The briefs of the contested cases (`others`: case index -> the answers' output as shown). A side longer
    than SHOWN_MAX, or not on one line, is not put to the referee: the answers' outputs are the judged code's
    words, and a brief is no place for them to argue."""
    out = []
    fit = {c: o for c, o in others.items()
           if all(len(t) <= SHOWN_MAX and "\n" not in t for t in (o, expected_shown(cases[c])))}
    for n, (c, other) in enumerate(sorted(fit.items()), start=1):
        case = cases[c]
        given = f"standard input {json.dumps(case.stdin)}" if case.stdin is not None else f"`{case.call}`"
        tests_first = hashlib.sha256(f"{given}\x1f{other}".encode()).digest()[0] % 2 == 0
        a, b = (expected_shown(case), other) if tests_first else (other, expected_shown(case))
        out.append(Dispute(c, "A" if tests_first else "B", f"Input {n}: {given}\n  A: {a}\n  B: {b}"))
    return out


def rulings(reply: str, briefs: list[Dispute]) -> dict[int, bool]:
    """Case index -> True (the tests' expected value is right) / False (the answers' output is): what the reply
    settles; an input it skips, or calls "neither", gets no ruling."""
    items = next((d["rulings"] for d in json_replies(reply) if isinstance(d, dict) and "rulings" in d), None)
    out: dict[int, bool] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or type(item.get("input")) is not int:
            continue
        n, choice = item["input"], str(item.get("choice", "")).strip().upper()
        if 1 <= n <= len(briefs) and choice in ("A", "B"):
            out[briefs[n - 1].case] = choice == briefs[n - 1].tests_label
    return out

