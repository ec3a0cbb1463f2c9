"""Verifiable rewards for RL: score completions against exported RL items with the trusted judge.

    from evol.reward import score
    rewards = score(items, completions)      # one Reward per (item, completion), in order
    [r.reward for r in rewards]              # pass rates in [0, 1]

An item is a row of `evol export --format rl` (`prompt`, `language`, `cases`, ...): the cases are judged on
the trusted side (evol.verification.judge), the program runs in the sandbox's warm executor, many at once
(one per worker slot). Items without `cases` but with Python assert `tests` get them by the judge's AST
conversion. An item with `judge: "replay"` (HumanEval's checks that do not convert: its `cases` are the calls its
`tests` check makes) is judged by that check replayed on the completion's results, all or nothing, as HumanEval
judges it (evol.eval.recorded). The same completion against the same item scores the same (no randomness, no state
carried between programs; only one that runs close to the time limit can land on either side of it under load).
Fail closed: a run that did not complete (a crash, an early exit, a timeout, forged or missing records)
rewards 0.0 whatever it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from evol.eval.problems import Problem
from evol.eval.recorded import replayed
from evol.sandbox import Limits, canonical_language, default_sandbox
from evol.sandbox.settings import SandboxLike
from evol.verification.cases import Case, from_asserts
from evol.verification.code import answer_code
from evol.verification.judge import CaseRun, judge, passes, run_cases


@dataclass(frozen=True)
class Reward:
    """One completion's score: `reward` is the pass rate (0.0 unless the run completed), `verified` all passed."""

    reward: float
    verified: bool
    status: str  # the judge's: verified | failed_tests | tests_broken | timeout | unverifiable
    passed: int
    total: int
    cases: list[bool] = field(default_factory=list)
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ItemError(ValueError):
    """An item the scorer cannot use (no cases and no convertible tests, an unknown language)."""


def item_cases(item: dict[str, Any]) -> list[Case]:
    """The item's cases (`cases`, else the AST conversion of Python assert `tests`, when every statement of
    them converts: an ItemError otherwise, so no check is silently left out)."""
    if item.get("cases"):
        return [Case.from_record(c) for c in item["cases"]]
    if item.get("tests") and item_language(item) == "python":
        try:
            cases, rest = from_asserts(item["tests"])
        except SyntaxError as exc:
            raise ItemError(f"tests do not parse: {exc}") from exc
        if rest:  # judging the asserts that convert alone would wave the others through: fail closed
            raise ItemError(f"{len(rest)} statements of the tests do not convert to cases (first: "
                            f"{rest[0][:80]!r}); give the item `cases` (evol export --format rl does)")
        return cases
    raise ItemError("the item carries no cases (export it with `evol export --format rl`)")


def item_language(item: dict[str, Any]) -> str:
    language = canonical_language(item.get("language") or "python")
    if language is None:
        raise ItemError(f"unknown language {item.get('language')!r}")
    return language


def completion_code(completion: str, language: str) -> str:
    """The code in a completion, as the verify stage takes it from an answer (`answer_code`: the fenced blocks
    of its main language, untagged ones counting as the item's), else the whole text (a bare program)."""
    code = answer_code(completion, language)[1]
    return completion if code is None else code


def _text(completion: Any) -> str:
    """A completion as text: a string, or a chat message list (TRL's conversational form: the last content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    if isinstance(completion, dict):
        return str(completion.get("content") or completion.get("completion") or "")
    raise TypeError(f"a completion is a string or a list of chat messages, not {type(completion).__name__}")


def score_one(sandbox: SandboxLike, item: dict[str, Any], completion: Any, limits: Limits | None = None) -> Reward:
    """Judge one completion against one item (blocks while every worker slot is busy)."""
    try:
        language, cases = item_language(item), item_cases(item)
    except ItemError as exc:
        return Reward(0.0, False, "tests_broken", 0, 0, [], str(exc))
    code = completion_code(_text(completion), language)
    run = run_cases(sandbox, code, language, cases, limits)
    if item.get("judge") == "replay":
        return _replayed(sandbox, item, cases, run)
    verdict = judge(cases, run, language, item.get("prompt"))
    total = len(cases)
    passed = verdict.passed or 0
    completed = run.status == "completed" and verdict.status in ("verified", "failed_tests")
    rate = passed / total if completed and total else 0.0
    flags = verdict.cases if completed and len(verdict.cases) == total else [False] * total
    return Reward(rate, verdict.ok, verdict.status, passed if completed else 0, total, flags, verdict.detail)


def _replayed(sandbox: SandboxLike, item: dict[str, Any], cases: list[Case], run: CaseRun) -> Reward:
    """The item's own check replayed on the run's results (never on the completion's code): 1.0 or 0.0."""
    if not (item.get("tests") and item.get("entry_point")):
        return Reward(0.0, False, "tests_broken", 0, len(cases), [False] * len(cases),
                      "a replayed item needs its `tests` (the check) and its `entry_point`")
    problem = Problem(str(item.get("task_id") or ""), item["prompt"], item["tests"], item["entry_point"])
    check = replayed(sandbox, problem, cases, run)
    outputs = run.outputs if run.status == "completed" and len(run.outputs) == len(cases) else [None] * len(cases)
    matched = [passes(case, out, "python") for case, out in zip(cases, outputs, strict=True)]
    status = "verified" if check["passed"] else "timeout" if check["kind"] == "Timeout" else "failed_tests"
    detail = "" if check["passed"] else f"check replayed: {check['kind']}: {check['error'] or ''}"[:500]
    return Reward(float(check["passed"]), check["passed"], status, sum(matched), len(cases), matched, detail)


def score(
    items: Sequence[dict[str, Any]],
    completions: Sequence[Any],
    *,
    sandbox: SandboxLike | None = None,
    limits: Limits | None = None,
) -> list[Reward]:
    """Score `completions[i]` against `items[i]`, all at once across the sandbox's worker slots, in order."""
    if len(items) != len(completions):
        raise ValueError(f"{len(items)} items but {len(completions)} completions (one completion per item)")
    box = sandbox or default_sandbox()
    with ThreadPoolExecutor(max(1, box.workers)) as pool:
        pairs = zip(items, completions, strict=True)
        return list(pool.map(lambda pair: score_one(box, pair[0], pair[1], limits), pairs))
