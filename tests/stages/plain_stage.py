"""A recipe's stage as a plain module with the built-ins' interface: it drops answers without a code block."""

from __future__ import annotations

from evol.stages.context import Item, ItemContext, Reject

retry = False


def applies(ctx: ItemContext, item: Item) -> bool:
    return "answer" in item.record.get("passed", ())


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    return None if "```" in (item.record.get("output") or "") else Reject("no_code_block")
