"""Gain stage: execution judges whether an evolution added anything.

The parent's verified code runs on the child's test cases (the trusted judge). If it already passes them all,
the evolution added nothing a test can see: `no_tested_gain`. Applies to the verified children of the methods in
`verify.require_gain` (those that change behaviour). A parent that was never verified is never waved through:
its child is checked against the answer the parent was tried with (`verify.unverified_parents = "check"`) or
rejected (`unverified_parent`). A verified parent in another language (or without code): no check.
"""

from __future__ import annotations

from evol.records import Record
from evol.stages.context import Item, ItemContext, Reject
from evol.stages.verify import cases_of, check


def applies(ctx: ItemContext, item: Item) -> bool:
    record, parent = item.record, item.parent
    return (ctx.verify.enabled and item.round_no > 0 and record.get("method") in ctx.verify.require_gain
            and _verified(record) and (not _verified(parent) or _comparable(record, parent)))


def _verified(record: Record) -> bool:
    return (record.get("verification") or {}).get("status") == "verified"


def _comparable(record: Record, parent: Record) -> bool:
    return bool(parent.get("code")) and parent.get("language") == record.get("language")


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record, parent = item.record, item.parent
    if not _verified(parent) and (ctx.verify.unverified_parents == "drop" or not _comparable(record, parent)):
        return Reject("unverified_parent")
    verdict = await check(ctx, parent["code"], cases_of(record, written_only=True), record["language"],
                          record["instruction"])
    record["gain"] = {"parent_status": verdict.status, "parent_passed": verdict.passed, "total": verdict.total,
                      "seconds": verdict.seconds, "parent_verified": _verified(parent)}
    return Reject("no_tested_gain") if verdict.ok else None
