"""Per-record measures (length in words and tokens, constraint count, code) and their per-round summaries."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from typing import Any

from evol.records import Record
from evol.text import has_code_block, words

CHARS_PER_TOKEN = 4  # the estimate used where a record carries no teacher-reported token count
# Phrases that add a requirement to an instruction: a rough proxy for how constrained (harder) a task is.
CONSTRAINT = re.compile(
    r"\b(must(?: not)?|should(?: not)?|do not|don't|never|without|only|at (?:most|least)|no more than|"
    r"ensure|make sure|require[sd]?|constraint|limit(?:ed)?|within|handle|edge cases?|"
    r"(?:time|space|memory) complexity|in[- ]place|thread[- ]safe)\b|\bO\([^)]{1,20}\)",
    re.IGNORECASE,
)
# Which usage entry counts the tokens of a record's text: an evolve completion *is* the new instruction.
TOKEN_SOURCE = {"instruction": "evolve", "output": "answer"}


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def text_tokens(record: Record, field: str) -> tuple[int, bool]:
    """(tokens of `field`, whether the teacher reported them); falls back to the characters/4 estimate."""
    usage = (record.get("usage") or {}).get(TOKEN_SOURCE[field]) or {}
    if "completion_tokens" in usage:
        return int(usage["completion_tokens"]), True
    return estimate_tokens(record.get(field) or ""), False


def constraint_count(text: str) -> int:
    return len(CONSTRAINT.findall(text or ""))


def record_tokens(record: Record) -> int:
    """All tokens (prompt + completion) spent on this record's calls."""
    return sum(int(u.get("prompt_tokens", 0)) + int(u.get("completion_tokens", 0))
               for u in (record.get("usage") or {}).values())


@dataclass
class Lengths:
    """Length samples of one field over a round's records."""

    words: list[int]
    tokens: list[int]
    reported: int  # how many token counts came from the teacher (the rest are estimates)


def lengths(records: list[Record], field: str) -> Lengths:
    texts = [r for r in records if r.get(field)]
    toks = [text_tokens(r, field) for r in texts]
    return Lengths([len(words(r[field])) for r in texts], [t for t, _ in toks], sum(1 for _, rep in toks if rep))


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def difficulty(records: list[Record]) -> dict[str, float]:
    """Mean instruction words and constraints, and the share of answers that contain a code block."""
    answered = [r for r in records if r.get("output")]
    return {
        "instruction_words": _mean([len(words(r.get("instruction") or "")) for r in records]),
        "output_words": _mean([len(words(r["output"])) for r in answered]),
        "constraints": _mean([constraint_count(r.get("instruction") or "") for r in records]),
        "code_share": (sum(1 for r in answered if has_code_block(r["output"])) / len(answered)) if answered else 0.0,
    }


def difficulty_by_round(kept_per_round: list[list[Record]]) -> list[dict[str, Any]]:
    """`difficulty` per round plus instruction length relative to round 0 (1.0 = as long as the seeds)."""
    rows = [{"round": n, "n": len(kept), **difficulty(kept)} for n, kept in enumerate(kept_per_round)]
    base = rows[0]["instruction_words"] if rows else 0.0
    for row in rows:
        row["length_growth"] = row["instruction_words"] / base if base else 0.0
    return rows
