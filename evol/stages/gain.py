"""Gain stage: execution judges whether an evolution added anything.

The parent's verified code runs on the child's test cases (the trusted judge). If it already passes them all, the
evolution added nothing a test can see: `no_tested_gain`. Applies to the methods in `verify.require_gain` (those
that change behaviour), when both child and parent were verified in the same language.
"""

from __future__ import annotations

from evol.stages.context import Item, ItemContext, Reject
from evol.stages.verify import cases_of, check


def applies(ctx: ItemContext, item: Item) -> bool:
    record, parent = item.record, item.parent
    return (ctx.verify.enabled and item.round_no > 0 and record.get("method") in ctx.verify.require_gain
            and (record.get("verification") or {}).get("status") == "verified"
            and (parent.get("verification") or {}).get("status") == "verified"
            and bool(parent.get("code")) and parent.get("language") == record.get("language"))


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record, parent = item.record, item.parent
    verdict = await check(ctx, parent["code"], cases_of(record), record["language"], record["instruction"])
    record["gain"] = {"parent_status": verdict.status, "parent_passed": verdict.passed, "total": verdict.total,
                      "seconds": verdict.seconds}
    return Reject("no_tested_gain") if verdict.ok else None
