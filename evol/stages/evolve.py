"""Evolve stage: rewrite the parent's instruction with one method; and the optional LLM equality judge."""

from __future__ import annotations

from evol.llm import LLMFailure
from evol.records import Record
from evol.stages.context import Item, ItemContext, Reject, call


def applies(ctx: ItemContext, item: Item) -> bool:
    return item.round_no > 0


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    request, sha = ctx.requests.evolve(record["method"], item.parent["instruction"], item.round_no,
                                       retry_attempt(item.parent, item.round_no))
    record["prompts"]["evolve"] = sha
    try:
        result = await call(ctx, item, request)
    except LLMFailure as exc:
        return Reject(f"llm_error:{exc.kind}")
    record["instruction"] = result.text.strip()
    record["usage"]["evolve"] = result.usage
    return None


def retry_attempt(parent: Record, round_no: int) -> int:
    """How many times this parent's evolution was tried before (0: a fresh parent; k: carried k times)."""
    return max(0, round_no - 1 - int(parent.get("round") or 0))


def judge_applies(ctx: ItemContext, item: Item) -> bool:
    return item.round_no > 0 and ctx.judge


async def judge(ctx: ItemContext, item: Item) -> Reject | None:
    """WizardLM's first elimination rule: the LLM says whether parent and child are equal."""
    request = ctx.requests.judge(item.parent["instruction"], item.record["instruction"], item.round_no)
    try:
        verdict = await call(ctx, item, request)
    except LLMFailure as exc:
        return Reject(f"llm_error:{exc.kind}")
    item.record["usage"]["judge"] = verdict.usage
    return Reject("judged_equal") if verdict.text.strip().lower().startswith("equal") else None
