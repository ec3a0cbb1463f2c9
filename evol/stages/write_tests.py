"""Tests stage: the teacher writes test cases for the instruction, from the instruction alone (never the answer).

The reply's cases (JSON, or assert-style Python converted by AST) are stored as `record["cases"]`, the assertions
that are not cases as `record["checks"]` (never needed to verify), and `record["tests"]` is the plain script
of the cases (Python: `code + "\\n\\n" + tests` exits 0 exactly when every case passes). In joint mode the tests
came with the answer (answer stage) and are only parsed here. A reply without a usable case: `tests_unparsable`.
"""

from __future__ import annotations

import json

from evol.llm import LLMFailure
from evol.stages.context import Item, ItemContext, Reject, call
from evol.verification import answer_code, parse_cases, script
from evol.verification.cases import Case
from evol.verification.drivers import driver_for


def applies(ctx: ItemContext, item: Item) -> bool:
    if not ctx.verify.enabled:
        return False
    language, _ = answer_code(item.record.get("output") or "", item.record.get("lang"))
    return language is not None


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    language, _ = answer_code(record.get("output") or "", record.get("lang"))
    record["language"] = language
    if ctx.verify.mode == "joint":
        raw, structured = record.get("tests") or "", False
    else:
        request, sha = ctx.requests.tests(record["instruction"], language, item.round_no)
        record["prompts"]["tests"] = sha
        try:
            result = await call(ctx, item, request)
        except LLMFailure as exc:
            return Reject(f"llm_error:{exc.kind}")
        record["usage"]["tests"] = result.usage
        raw, structured = result.text, bool(getattr(result, "structured", False))
    parsed = parse_cases(raw, language or "python", structured)
    if parsed is None:
        record.update(tests=None, cases=None, checks=None)
        return Reject("tests_unparsable")
    cases, checks = parsed
    record["cases"] = [case.to_record() for case in cases]
    record["checks"] = "\n".join(checks) or None
    record["tests"] = plain_tests(cases, language or "python")
    return None


def plain_tests(cases: list[Case], language: str) -> str:
    """The cases as a plain test script for users (a language's driver may offer `script`; else JSON)."""
    if language == "python":
        return script(cases)
    driver = driver_for(language)
    if driver is not None and hasattr(driver, "script"):
        return str(driver.script(cases))
    return json.dumps([case.to_record() for case in cases], indent=1) + "\n"
