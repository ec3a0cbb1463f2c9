"""Answer stage (the teacher answers the instruction) and the response filters over its answer."""

from __future__ import annotations

from evol.llm import LLMFailure, LLMRequest
from evol.llm.sample import sample
from evol.stages.context import Item, ItemContext, Reject, call
from evol.stages.rules import first_failure
from evol.stages.timing import to_thread
from evol.verification.tests_reply import split_joint


def applies(ctx: ItemContext, item: Item) -> bool:
    return not item.record.get("output") and (item.round_no > 0 or ctx.answer_seeds)


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    return await ask(ctx, item, attempt=0)


async def ask(ctx: ItemContext, item: Item, attempt: int) -> Reject | None:
    """Ask for answer number `attempt` (0 = the first) and store it on the record (usage summed over attempts).

    In joint mode the reply also carries the tests: they are split off, and the first answer's tests are the
    item's (`record["tests"]`, parsed by the tests stage); later attempts are checked against those.
    """
    record = item.record
    joint = ctx.verify.enabled and ctx.verify.mode == "joint"
    k = ctx.verify.answers if ctx.verify.enabled and not joint and attempt == 0 else 1

    def make(i: int) -> LLMRequest:
        return ctx.requests.answer(record["instruction"], item.round_no, attempt + i, joint=joint,
                                   language=record.get("language") or "python")[0]

    record["prompts"]["answer"] = ctx.requests.answer_sha(joint)
    try:
        results = await sample(lambda request: call(ctx, item, request), make, k)
    except LLMFailure as exc:
        return Reject(f"llm_error:{exc.kind}")
    result = results[0]
    if k > 1:  # the k answers verification judges by agreement (evol/stages/agreed.py)
        record["answers"] = [r.text.strip() for r in results]
    text = result.text.strip()
    if joint:
        text, tests = split_joint(text)
        if attempt == 0:
            record["tests"] = tests
    record.update(output=text, finish_reason=result.finish_reason, model=ctx.model)
    usage = record["usage"].setdefault("answer", {})
    for key, value in (u for r in results for u in (r.usage or {}).items()):
        usage[key] = usage.get(key, 0) + value
    return None


def filter_applies(ctx: ItemContext, item: Item) -> bool:
    return "answer" in item.record.get("passed", ())


async def filter_run(ctx: ItemContext, item: Item) -> Reject | None:
    """The response rules, in a thread: the execution filter runs code in the sandbox and must not block."""
    why = await to_thread(first_failure, ctx.responses, item.record)
    return None if why is None else Reject(why)
