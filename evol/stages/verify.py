"""Verify stage: the trusted judge runs the answer's code on the test cases; a failing answer is resampled.

Up to `verify.max_answers` answers are tried (each a fresh request with its own cache key and seed); the first
that passes every case is kept. An exception raised inside the answer's code is the answer's failure (resample);
`tests_broken` only when the cases fail on their own. Every item that reaches this stage carries `verification =
{status, attempts, passed, total, cases, checks, seconds, language}` (cases: how many decided; checks: the extra
assertions kept apart, never run to verify), the `code` that ran and a `difficulty` (first_try / later_try / never).
"""

from __future__ import annotations

from typing import Any

from evol.sandbox import Limits
from evol.stages import answer
from evol.stages.context import Item, ItemContext, Reject
from evol.stages.rules import first_failure
from evol.stages.timing import to_thread
from evol.verification import Case, Verdict, answer_code
from evol.verification import check as judge_check
from evol.verification.cases import count_asserts

# Outcomes that are not the answer's fault: another answer would not change them.
NOT_THE_ANSWER = frozenset({"tests_broken", "unverifiable"})


def applies(ctx: ItemContext, item: Item) -> bool:
    return ctx.verify.enabled


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    language, code = answer_code(record.get("output") or "", record.get("lang"))
    attempts, seconds = 1, 0.0
    cases = cases_of(record)
    verdict = _precheck(ctx, language, code, cases)
    can_resample = ctx.answer_seeds or item.round_no > 0
    while verdict is None:
        verdict = await check(ctx, code or "", cases, language or "python", record["instruction"])
        seconds += verdict.seconds
        if verdict.ok or verdict.status in NOT_THE_ANSWER or not can_resample:
            break
        ran = {k: record.get(k) for k in ("output", "finish_reason")}
        while attempts < ctx.verify.max_answers:
            attempts += 1
            new_code = await _resample(ctx, item, attempts - 1, language or "python")
            if new_code is not None:
                code, verdict = new_code, None  # run the new answer
                break
        if verdict is not None:  # no new answer could run: keep the one that did, with its verdict
            record.update(ran)
    record.update(code=code, language=language)
    checks = record.get("checks") or ""
    record["verification"] = {"status": verdict.status, "attempts": attempts, "passed": verdict.passed,
                              "total": verdict.total, "cases": len(cases),
                              "checks": count_asserts([checks]) if language == "python" else int(bool(checks)),
                              "seconds": round(seconds, 4), "language": language}
    record["difficulty"] = ("first_try" if attempts == 1 else "later_try") if verdict.ok else "never"
    if verdict.ok or (verdict.status == "unverifiable" and ctx.verify.keep_unverifiable):
        return None
    return Reject(verdict.status, {"detail": verdict.detail} if verdict.detail else {})


def cases_of(record: dict[str, Any], written_only: bool = False) -> list[Case]:
    """The record's test cases (empty when it has none); `written_only`: without those the agreeing answers'
    outputs made (`cases_added`, the last ones: evol/stages/more_cases.py)."""
    cases = [Case.from_record(c) for c in record.get("cases") or []]
    return cases[:len(cases) - int(record.get("cases_added") or 0)] if written_only else cases


def _precheck(ctx: ItemContext, language: str | None, code: str | None, cases: list[Case]) -> Verdict | None:
    """An `unverifiable` verdict when nothing can run (no code, no runner, no cases); None to go on."""
    if code is None or language is None:
        return Verdict("unverifiable", detail="the answer has no code block")
    if not ctx.sandbox.supports(language):
        return Verdict("unverifiable", detail=f"no {language} runner in the sandbox")
    if not cases:
        return Verdict("unverifiable", detail="no test cases")
    return None


async def _resample(ctx: ItemContext, item: Item, attempt: int, language: str) -> str | None:
    """Ask for answer `attempt`; its code when it passes the response filters and is in `language`."""
    if await answer.ask(ctx, item, attempt) is not None:
        return None
    if await to_thread(first_failure, ctx.responses, item.record) is not None:
        return None
    new_language, code = answer_code(item.record.get("output") or "", item.record.get("lang"))
    return code if new_language == language else None


async def check(ctx: ItemContext, code: str, cases: list[Case], language: str, instruction: str) -> Verdict:
    """The trusted judge's verdict on `code` for `cases` (run in the sandbox, in a thread: it blocks)."""
    limits = Limits(timeout_s=ctx.verify.timeout_s, memory_mb=ctx.verify.memory_mb)
    return await to_thread(judge_check, ctx.sandbox, code, language, cases, limits, instruction)
