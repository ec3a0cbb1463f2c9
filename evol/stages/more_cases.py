"""More cases stage (`verify.more_cases = n > 0`): an item whose cases kill too few mutants (teeth) gets n new
inputs asked of the tests writer (prompts/more_inputs.txt, the `[verify.tests]` role), their expected values from
the answers that agreed (evol/verification/more_cases.py), and its mutants run again on all its cases. Still
below `verify.min_mutation_score`: rejected `weak_tests`. The added cases are the last `cases_added` of
`record["cases"]`: the exports and rewards judge with them, the gain check does not (it trusts the tests
writer's expected values only).
"""

from __future__ import annotations

import asyncio

from evol.sandbox import Limits
from evol.stages.context import Item, ItemContext, Reject, ask
from evol.stages.teeth import mutation, weak
from evol.stages.verify import cases_of
from evol.stages.write_tests import plain_tests
from evol.verification import Case, run_cases
from evol.verification.more_cases import agreed_cases, asked_calls


def applies(ctx: ItemContext, item: Item) -> bool:
    found = item.record.get("mutation") or {}
    return (ctx.verify.enabled and ctx.verify.more_cases > 0 and item.record.get("language") == "python"
            and found.get("score") is not None and found["score"] < ctx.verify.min_mutation_score)


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    cases = cases_of(record)
    reply = await ask(ctx, item, "tests", "more_inputs", key="more_inputs", instruction=record["instruction"],
                      calls="\n".join(f"- `{c.call}`" for c in cases if c.call), n=str(ctx.verify.more_cases))
    if isinstance(reply, Reject):
        return weak(record["mutation"])
    calls = asked_calls(reply.text, cases, ctx.verify.more_cases)
    codes = item.agreeing or [record["code"]]
    limits = Limits(timeout_s=ctx.verify.timeout_s, memory_mb=ctx.verify.memory_mb)
    asked = [Case(x, None, "None") for x in calls]
    runs = await asyncio.gather(*(asyncio.to_thread(run_cases, ctx.sandbox, code, "python", asked, limits)
                                  for code in codes)) if asked else []
    added = agreed_cases(calls, [r.outputs for r in runs])
    before = record["mutation"]["score"]
    if added:
        cases = cases + added
        record.update(cases=[c.to_record() for c in cases], tests=plain_tests(cases, "python"),
                      cases_added=len(added))
        record["mutation"] = await mutation(ctx.sandbox, record["code"], cases, ctx.verify.mutants, limits)
    record["mutation"].update(score_before=before, inputs_asked=len(calls), cases_added=len(added),
                              answers_agreeing=len(codes))
    score = record["mutation"]["score"]
    return weak(record["mutation"]) if score is not None and score < ctx.verify.min_mutation_score else None
