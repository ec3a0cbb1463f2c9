"""Tests stage: the teacher writes tests for the instruction, from the instruction alone (never the answer).

The tests are stored self-running (`code + "\\n\\n" + tests` exits 0 exactly when all pass). In joint mode
they came with the answer (answer stage) and are only parsed here. An unusable reply: `tests_unparsable`.
"""

from __future__ import annotations

from evol.llm import LLMFailure
from evol.stages.context import Item, ItemContext, Reject, call
from evol.verification import answer_code, parse_tests


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
    tests = parse_tests(raw, language or "python", structured)
    if tests is None:
        record["tests"] = None
        return Reject("tests_unparsable")
    record["tests"] = tests
    return None
