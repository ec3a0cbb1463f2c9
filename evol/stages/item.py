"""One item's trip through a round: the stages of the table (evol/stages/table.py), in order.

The item's requests leave as soon as the previous step is done: there is no batch barrier, so a slow
request holds back nothing but its own item.
"""

from __future__ import annotations

from evol.records import Record, child_id
from evol.stages import table
from evol.stages.context import Item, ItemContext
from evol.stages.timing import timed


def start_record(ctx: ItemContext, parent: Record, round_no: int, weights: dict[str, float] | None) -> Record:
    """The record an item starts as: the seed itself in round 0, else a fresh child of `parent`."""
    if round_no == 0:
        return {**parent, "usage": {}, "prompts": {}}
    cid = child_id(parent["id"], round_no)
    return {"id": cid, "parent_id": parent["id"], "root_id": parent["root_id"], "round": round_no,
            "method": ctx.requests.choose_method(cid, weights), "model": ctx.model, "instruction": "",
            "output": None, "usage": {}, "prompts": {}, **({"lang": parent["lang"]} if parent.get("lang") else {})}


async def process(ctx: ItemContext, parent: Record, round_no: int,
                  weights: dict[str, float] | None = None) -> Record:
    """The finished journal record for one pool item (kept, or rejected with a stage and reason).

    `record["passed"]` lists the stages it got through (the funnel counts them), `record["timing"]` each
    stage's [wall, CPU] seconds (evol/stages/timing.py); the round's stats sum both, its files drop them.
    """
    record = start_record(ctx, parent, round_no, weights)
    item = Item.start(record, parent, round_no, ctx.item_deadline)
    record["passed"], record["timing"] = [], {}
    for stage in ctx.stages or table.STAGES:
        if stage.run is None or not stage.applies(ctx, item):
            continue
        rejected, wall, cpu = await timed(stage.run(ctx, item))
        record["timing"][stage.name] = [round(wall, 6), round(cpu, 6)]
        if rejected is not None:
            record.update(status="rejected", stage=stage.name, reason=rejected.reason, **rejected.extra)
            return record
        record["passed"].append(stage.name)
    record["status"] = "ok"
    return record
