"""Mutation stage (`verify.mutants > 0`): do the kept cases have teeth? Mutants of the verified answer
(evol/verification/mutants.py) run on the item's cases; a mutant is killed when a case fails (or the run does
not complete). The share killed is `mutation.score`; below `verify.min_mutation_score` the item is rejected
`weak_tests` (its tests cannot tell its answer from a broken one), or, with `verify.more_cases`, first given more
cases (evol/stages/more_cases.py). Python answers, every evolution method.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from evol.sandbox import Limits
from evol.stages.context import Item, ItemContext, Reject
from evol.stages.verify import cases_of
from evol.verification import Case, run_cases
from evol.verification.judge import passes
from evol.verification.mutants import mutants, score


def applies(ctx: ItemContext, item: Item) -> bool:
    record = item.record
    return (ctx.verify.enabled and ctx.verify.mutants > 0 and record.get("language") == "python"
            and (record.get("verification") or {}).get("status") == "verified" and bool(record.get("code")))


def _killed(sandbox: Any, code: str, cases: list[Case], limits: Limits) -> bool:
    run = run_cases(sandbox, code, "python", cases, limits)
    return run.status != "completed" or not all(passes(c, o, "python") for c, o in zip(cases, run.outputs,
                                                                                      strict=True))


async def mutation(sandbox: Any, code: str, cases: list[Case], n: int, limits: Limits) -> dict[str, Any]:
    """The mutation record of `code` under `cases`: score (None without mutants), mutants, killed, survived."""
    found = mutants(code, n)
    killed = await asyncio.gather(*(asyncio.to_thread(_killed, sandbox, m.code, cases, limits) for m in found))
    survived = Counter(m.kind for m, k in zip(found, killed, strict=True) if not k)
    return {"score": score(list(killed)), "mutants": len(found), "killed": sum(killed),
            "survived": dict(sorted(survived.items()))}


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    limits = Limits(timeout_s=ctx.verify.timeout_s, memory_mb=ctx.verify.memory_mb)
    found = record["mutation"] = await mutation(ctx.sandbox, record["code"], cases_of(record), ctx.verify.mutants,
                                                limits)
    if found["score"] is not None and found["score"] < ctx.verify.min_mutation_score and not ctx.verify.more_cases:
        return weak(found)
    return None  # with `verify.more_cases`, a weak item gets more cases next (evol/stages/more_cases.py)


def weak(found: dict[str, Any]) -> Reject:
    """The `weak_tests` rejection of a mutation record."""
    return Reject("weak_tests", {"detail": f"the cases kill {found['killed']} of {found['mutants']} mutants"})
