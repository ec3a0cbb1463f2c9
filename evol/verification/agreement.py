"""Several answers and the tests, judged against each other (CodeT's dual agreement, rStar-Coder's mutual check).

Input: for k answers and n test cases, what each answer returned on each case's input (a hashable key:
`("v", canonical value)`, `("e", error kind)`, or None when no result came back) and whether that output meets
the case's expected value. Pure: no sandbox, no LLM.

- Answers are grouped by their outputs on all the cases' inputs (the same key on every case: one group).
- A case is *suspect* when a strong consensus of answers returns one value (at least `consensus` of k answers,
  and at least 2) that does not meet its expected value, and more answers back that value than meet the
  expected one: the test, not the answers, is likely wrong. Suspect cases are dropped (`on_suspect = "drop"`)
  or the item is rejected (`"reject"`). Errors are not votes: answers that all crash do not overrule a test.
  Only answers that pass every case not suspected at first vote in the final count: two answers sharing a bug,
  which the other cases prove wrong, do not overrule a test.
- Groups are scored as CodeT does: members x kept cases they pass (answers that crash or return nothing on a
  kept case are in no agreeing group). The best group (then the larger, then the first) must pass every kept
  case: its first answer is chosen. When it does not but some answer passes, the item is `disputed` (more
  answers agree on outputs the tests reject). The item is verified when an answer is chosen, at least
  `min_cases` cases remain and the share of the k answers passing the kept cases (the item's pass rate, its
  difficulty) is at least `min_pass_rate`.

A referee (`[verify.referee]`, evol/verification/referee.py) settles what the counting cannot: `contested` lists
the cases where the decision rests on answers against answers (a dropped case some answers meet, a kept case
the best group fails, a kept case an equally large rival group answers otherwise), and `agree(...,
rulings=...)` takes its word: a case ruled right is never dropped and an agreeing group that fails it cannot be
chosen; a case ruled wrong is dropped.

The limit: a misreading shared by every answer and the tests is invisible here (all agree). Answers and tests
from different models make a shared misreading less likely (`[verify.tests]` / `[verify.answer]` roles).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Key = Hashable | None


@dataclass
class Agreement:
    """The decision and everything it rests on (stored as `record["agreement"]`)."""

    status: str  # verified | failed_tests | disputed | tests_suspect | too_few_cases
    k: int
    groups: list[list[int]]  # answer indices with identical outputs, largest first
    kept_cases: list[int]
    dropped_cases: list[dict[str, Any]] = field(default_factory=list)  # {"case": i, "why": ...}
    passing: list[int] = field(default_factory=list)  # answers passing every kept case
    passing_written: list[int] = field(default_factory=list)  # answers passing every case as the tests wrote them
    chosen: int | None = None
    pass_rate: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def to_record(self) -> dict[str, Any]:
        return {"status": self.status, "k": self.k, "groups": self.groups, "kept_cases": self.kept_cases,
                "dropped_cases": self.dropped_cases, "passing": self.passing,
                "passing_written": self.passing_written, "chosen": self.chosen,
                "pass_rate": round(self.pass_rate, 4)}


def is_value(key: Key) -> bool:
    return isinstance(key, tuple) and len(key) == 2 and key[0] == "v"


def freeze(value: Any) -> Hashable:
    """A hashable, canonical form of a decoded output value (floats to 9 decimals; sets and dicts sorted)."""
    if isinstance(value, float):
        return ("float", value if value != value or value in (math.inf, -math.inf) else round(value, 9))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted((freeze(v) for v in value), key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((freeze(k), freeze(v)) for k, v in value.items()), key=repr)))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return (type(value).__name__, value)


def agree(keys: Sequence[Sequence[Key]], passes: Sequence[Sequence[bool]], *, consensus: float = 0.5,
          on_suspect: Literal["drop", "reject"] = "drop", min_cases: int = 1,
          min_pass_rate: float = 0.0, rulings: Mapping[int, bool] | None = None) -> Agreement:
    """Decide an item from `keys[a][c]` (answer a's output on case c) and `passes[a][c]` (it meets case c).

    `rulings`: a referee's word on some cases (True: the expected value is right; False: it is wrong).
    """
    k = len(keys)
    n = len(keys[0]) if k else 0
    rulings = rulings or {}
    upheld = {c for c, right in rulings.items() if right}
    groups = _groups(keys)
    everyone = list(range(k))
    first = {c for c in range(n) if c not in upheld and _suspect(keys, passes, c, consensus, everyone)}
    # Only answers that pass every case not suspected at first may vote: a consensus of answers the other
    # cases prove wrong (two answers with the same bug) does not overrule a test.
    credible = [a for a in everyone if all(passes[a][c] for c in range(n) if c not in first)]
    dropped = [{"case": c, "why": why} for c in sorted(first) if (why := _suspect(keys, passes, c, consensus,
                                                                                  credible))]
    dropped = sorted([d for d in dropped if d["case"] not in rulings]
                     + [{"case": c, "why": "the referee ruled its expected value wrong"}
                        for c, right in rulings.items() if not right and 0 <= c < n], key=lambda d: d["case"])
    gone = {d["case"] for d in dropped}
    kept = [c for c in range(n) if c not in gone]
    passing = [a for a in range(k) if all(passes[a][c] for c in kept)]
    rate = len(passing) / k if k else 0.0
    written = [a for a in range(k) if all(passes[a])]
    result = Agreement("failed_tests", k, groups, kept, dropped, passing, written, None, rate)
    if dropped and on_suspect == "reject":
        result.status = "tests_suspect"
        return result
    if len(kept) < min_cases:
        result.status = "too_few_cases"
        return result
    # crashes (but an expected exception) and missing results are no answer
    best = _best(groups, keys, passes, kept, upheld)
    if best is not None:
        if best[0] in passing:
            result.chosen = best[0]
            result.status = "verified" if rate >= min_pass_rate else "failed_tests"
            return result
    if passing:
        result.status = "disputed"  # an answer passes, but more answers agree on outputs the tests reject
    return result


@dataclass(frozen=True)
class Contest:
    """A case whose fate rests on answers against answers: its expected value, backed by `backing` answers,
    against `other`, the output `against` answers agree on (`example`: one of them)."""

    case: int
    backing: int
    against: int
    example: int


def contested(keys: Sequence[Sequence[Key]], passes: Sequence[Sequence[bool]], result: Agreement) -> list[Contest]:
    """The cases a referee should see: dropped cases that at least two answers meet; when the item is `disputed`,
    the kept cases the best-scoring agreeing group fails while some answer passes them; when it is verified, the
    kept cases on which a rival group, at least as large as the chosen answer's (and of two or more), returns
    another value (the tests alone broke the tie between them)."""
    k = len(keys)
    out: dict[int, Contest] = {}
    for c in (d["case"] for d in result.dropped_cases):
        backing = sum(1 for a in range(k) if passes[a][c])  # one answer meeting it is no case to hear
        if backing >= 2 and (found := _against(keys, passes, c, backing)) is not None:
            out[c] = found
    if result.status == "disputed":
        best = _best(result.groups, keys, passes, result.kept_cases)
        for c in result.kept_cases if best is not None else []:
            backing = sum(1 for a in range(k) if passes[a][c])
            if not passes[best[0]][c] and backing and is_value(keys[best[0]][c]):
                out[c] = Contest(c, backing, len(best), best[0])
    if result.status == "verified" and result.chosen is not None:
        chosen = next(g for g in result.groups if result.chosen in g)
        rivals = [g for g in result.groups if g is not chosen and len(g) >= max(2, len(chosen))]
        for c in result.kept_cases:
            against = [g for g in rivals if is_value(keys[g[0]][c]) and not passes[g[0]][c]]
            if against and c not in out:
                out[c] = Contest(c, sum(1 for a in range(k) if passes[a][c]), len(against[0]), against[0][0])
    return [out[c] for c in sorted(out)]


def _best(groups: list[list[int]], keys: Sequence[Sequence[Key]], passes: Sequence[Sequence[bool]],
          kept: Sequence[int], upheld: set[int] | frozenset[int] = frozenset()) -> list[int] | None:
    """CodeT's dual agreement: the group scoring most (members x kept cases passed; then the larger, then the
    first) among those answering every kept case (crashes, but an expected exception, and missing results are no
    answer) and passing every case the referee upheld."""
    answering = [g for g in groups if all(is_value(keys[g[0]][c]) or passes[g[0]][c] for c in kept)
                 and all(passes[g[0]][c] for c in upheld if c in kept)]
    return max(answering, key=lambda g: (len(g) * sum(passes[g[0]][c] for c in kept), len(g), -g[0]),
               default=None)


def _against(keys: Sequence[Sequence[Key]], passes: Sequence[Sequence[bool]], c: int,
             backing: int) -> Contest | None:
    """The contest of case c: the output most answers that miss it agree on (None: they only crash)."""
    votes = Counter(keys[a][c] for a in range(len(keys)) if is_value(keys[a][c]) and not passes[a][c])
    if not votes:
        return None
    value, count = votes.most_common(1)[0]
    return Contest(c, backing, count, next(a for a in range(len(keys)) if keys[a][c] == value))


def _groups(keys: Sequence[Sequence[Key]]) -> list[list[int]]:
    """Answers with identical output vectors, largest group first (ties: the group met first)."""
    by_sig: dict[tuple[Key, ...], list[int]] = {}
    for a, row in enumerate(keys):
        by_sig.setdefault(tuple(row), []).append(a)
    return sorted(by_sig.values(), key=lambda g: (-len(g), g[0]))


def _suspect(keys: Sequence[Sequence[Key]], passes: Sequence[Sequence[bool]], c: int, consensus: float,
             voters: Sequence[int]) -> str | None:
    """Why case c's expected value is suspect (a strong consensus of `voters` contradicts it), or None."""
    k = len(keys)
    votes = Counter(keys[a][c] for a in voters if is_value(keys[a][c]))
    if not votes:
        return None
    value, count = votes.most_common(1)[0]
    if count < max(2, math.ceil(consensus * k)):
        return None
    if any(passes[a][c] for a in voters if keys[a][c] == value):
        return None  # the consensus meets the expected value
    backing = sum(1 for a in range(k) if passes[a][c])
    if count <= backing:
        return None
    return f"{count} of {k} answers agree on another output; {backing} meet the expected value"
