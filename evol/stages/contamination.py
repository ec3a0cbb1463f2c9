"""Decontamination stage: drop an item whose instruction or answer overlaps a benchmark."""

from __future__ import annotations

from evol.stages.context import Item, ItemContext, Reject


def applies(ctx: ItemContext, item: Item) -> bool:
    return ctx.decontaminator is not None


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    hit = ctx.decontaminator.check(item.record)  # type: ignore[union-attr]
    if hit is None:
        return None
    hit = dict(hit)
    hit["match"] = hit.pop("method", None)  # how it matched; `method` stays the evolution method
    return Reject(hit.pop("reason", "contaminated"), hit)
