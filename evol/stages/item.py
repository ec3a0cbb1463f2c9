"""One item's trip through a round: evolve, eliminate, (judge), answer, filter, decontaminate.

The item's requests leave as soon as the previous step is done: there is no batch barrier, so a slow
request holds back nothing but its own item.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from evol.llm import LLMClient, LLMFailure, LLMRequest, LLMResult
from evol.records import Record, child_id
from evol.stages.base import Rule, first_failure
from evol.stages.requests import RequestFactory

# Stages whose rejections count as a failed evolution (the parent may be retried next round).
RETRY_STAGES = frozenset({"evolve", "eliminate", "judge", "answer", "filter"})


@dataclass
class ItemContext:
    """What every item of a run shares."""

    client: LLMClient
    requests: RequestFactory
    elimination: list[Rule]
    responses: list[Rule]
    decontaminator: Any | None
    model: str
    judge: bool
    answer_seeds: bool
    item_deadline: float = 900.0  # seconds for all of one item's requests, retries included


async def _call(ctx: ItemContext, request: LLMRequest, deadline: float) -> LLMResult:
    """One of the item's requests, its retries bounded by the item's deadline."""
    request.deadline = deadline
    return await ctx.client.complete(request)


def _reject(record: Record, stage: str, reason: str, **extra: Any) -> Record:
    record.update(status="rejected", stage=stage, reason=reason, **extra)
    return record


async def process(ctx: ItemContext, parent: Record, round_no: int) -> Record:
    """The finished journal record for one pool item (answered, or rejected with a stage and reason)."""
    deadline = time.monotonic() + ctx.item_deadline
    if round_no == 0:
        record = {**parent, "usage": {}, "prompts": {}}
    else:
        cid = child_id(parent["id"], round_no)
        method = ctx.requests.choose_method(cid)
        record = {"id": cid, "parent_id": parent["id"], "root_id": parent["root_id"], "round": round_no,
                  "method": method, "model": ctx.model, "instruction": "", "output": None,
                  "usage": {}, "prompts": {}}
        request, sha = ctx.requests.evolve(method, parent["instruction"], round_no)
        record["prompts"]["evolve"] = sha
        try:
            result = await _call(ctx, request, deadline)
        except LLMFailure as exc:
            return _reject(record, "evolve", f"llm_error:{exc.kind}")
        record["instruction"] = result.text.strip()
        record["usage"]["evolve"] = result.usage
        why = first_failure(ctx.elimination, {**record, "parent_instruction": parent["instruction"]})
        if why is not None:
            return _reject(record, "eliminate", why)
        if ctx.judge:
            try:
                judge = ctx.requests.judge(parent["instruction"], record["instruction"], round_no)
                verdict = await _call(ctx, judge, deadline)
            except LLMFailure as exc:
                return _reject(record, "judge", f"llm_error:{exc.kind}")
            record["usage"]["judge"] = verdict.usage
            if verdict.text.strip().lower().startswith("equal"):
                return _reject(record, "judge", "judged_equal")
    if not record.get("output") and (round_no > 0 or ctx.answer_seeds):
        request, sha = ctx.requests.answer(record["instruction"], round_no)
        record["prompts"]["answer"] = sha
        try:
            result = await _call(ctx, request, deadline)
        except LLMFailure as exc:
            return _reject(record, "answer", f"llm_error:{exc.kind}")
        record.update(output=result.text.strip(), finish_reason=result.finish_reason, model=ctx.model)
        record["usage"]["answer"] = result.usage
        # In a thread: the execution filter runs code in the sandbox and must not block the event loop.
        why = await asyncio.to_thread(first_failure, ctx.responses, record)
        if why is not None:
            return _reject(record, "filter", why)
    if ctx.decontaminator is not None:
        hit = ctx.decontaminator.check(record)
        if hit is not None:
            hit = dict(hit)
            hit["match"] = hit.pop("method", None)  # how it matched; `method` stays the evolution method
            return _reject(record, "decontam", hit.pop("reason", "contaminated"), **hit)
    record["status"] = "ok"
    return record
