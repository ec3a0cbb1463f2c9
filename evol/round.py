"""One round: stream the pool through the item stages into an append-only journal, then finalize.

Files under `round-NN/`:
  pool.jsonl      the items this round starts from (written atomically before any work)
  evolved.jsonl   the journal: one line per finished item, appended and flushed as it arrives
  kept.jsonl, rejected.jsonl, stats.json   written atomically at the end (stats.json last = done)
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.calls import CURRENT_ITEM
from evol.errors import EvolError
from evol.io import JsonlAppender, atomic_write_json, atomic_write_jsonl, read_jsonl
from evol.records import Record, child_id
from evol.stages.item import RETRY_STAGES, ItemContext, process

# The funnel columns of stats.json in pipeline order: (key, label). "contaminated" counts decontam drops.
FUNNEL = (("pool", "pool"), ("evolved", "evolved"), ("eliminated", "eliminated"), ("answered", "answered"),
          ("filtered", "filtered"), ("llm_errors", "LLM errors"), ("contaminated", "decontaminated"),
          ("deduplicated", "deduplicated"), ("kept", "kept"))
JOURNAL = {0: "answered.jsonl"}  # round 0 answers seeds; later rounds evolve them
DROP_FIELDS = ("status",)


def round_dir(run_dir: Path, round_no: int) -> Path:
    return run_dir / f"round-{round_no:02d}"


def journal_path(run_dir: Path, round_no: int) -> Path:
    return round_dir(run_dir, round_no) / JOURNAL.get(round_no, "evolved.jsonl")


def is_done(run_dir: Path, round_no: int) -> bool:
    return (round_dir(run_dir, round_no) / "stats.json").exists()


def journal_ids(journal: Path) -> set[str]:
    """Ids of the items a round's journal already holds (a cut last line is ignored)."""
    return {r["id"] for r in read_jsonl(journal, tolerate_partial_tail=True)} if journal.exists() else set()


async def stream_items(ctx: ItemContext, pool: list[Record], round_no: int, journal: Path, done: set[str],
                       concurrency: int, on_done: Callable[[Record], None]) -> None:
    """Process every pool item not in `done`, `concurrency` workers pulling from one iterator."""
    todo = iter(p for p in pool if _item_id(p, round_no) not in done)
    with JsonlAppender(journal) as out:

        async def worker() -> None:
            for parent in todo:
                CURRENT_ITEM.set(_item_id(parent, round_no))  # names the item in the calls log
                record = await process(ctx, parent, round_no)
                out.write(record)
                on_done(record)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, concurrency)):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:  # one worker's error (e.g. a bad key) ends the round as itself
            raise _first_leaf(failed) from None


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The error to report for a failed TaskGroup: an EvolError (e.g. a stopped endpoint) if there is one."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop(0)
        if isinstance(exc, BaseExceptionGroup):
            stack[:0] = list(exc.exceptions)
        else:
            leaves.append(exc)
    return next((e for e in leaves if isinstance(e, EvolError)), leaves[0])


def _item_id(parent: Record, round_no: int) -> str:
    return parent["id"] if round_no == 0 else child_id(parent["id"], round_no)


def finalize(run_dir: Path, round_no: int, pool: list[Record], dedup_index: Any | None, started: float,
             llm_usage: dict[str, Any] | None = None) -> tuple[list[Record], list[Record], dict[str, Any]]:
    """Order the journal by pool order, deduplicate, write kept/rejected, the index state, then stats.

    stats.json is written last: its presence marks the round as done. `llm_usage` (calls, attempts and
    errors per stage, as this process saw them) is stored beside the counts.
    """
    journal = {r["id"]: r for r in read_jsonl(journal_path(run_dir, round_no), tolerate_partial_tail=True)}
    ordered = [journal[_item_id(p, round_no)] for p in pool]
    candidates = [r for r in ordered if r["status"] == "ok"]
    removals = dedup_index.process(candidates) if dedup_index is not None and candidates else [None] * len(
        candidates)
    for record, removal in zip(candidates, removals, strict=True):
        if removal is not None:
            record.update(status="rejected", stage="dedup", **removal)
    kept = [_clean(r) for r in ordered if r["status"] == "ok"]
    rejected = [_clean(r) for r in ordered if r["status"] != "ok"]
    stats = round_stats(round_no, ordered, time.monotonic() - started)
    if llm_usage is not None:
        stats["llm_calls_this_process"] = llm_usage
    out = round_dir(run_dir, round_no)
    atomic_write_jsonl(out / "kept.jsonl", kept)
    atomic_write_jsonl(out / "rejected.jsonl", rejected)
    if dedup_index is not None:
        dedup_index.save(dedup_state_path(run_dir, round_no))
    atomic_write_json(out / "stats.json", stats)
    return kept, rejected, stats


def dedup_state_path(run_dir: Path, round_no: int) -> Path:
    """The near-dup index after round `round_no` (rounds start from the previous round's state)."""
    return run_dir / "dedup" / f"index-after-round-{round_no:02d}.npz"


def _clean(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in DROP_FIELDS}


def next_pool(round_no: int, pool: list[Record], kept: list[Record], rejected: list[Record],
              carry_failed: bool) -> list[Record]:
    """Survivors go on; with carry_failed, the parent of a failed evolution is tried again next round."""
    if not carry_failed:
        return list(kept)
    by_id = {p["id"]: p for p in pool}
    carried = [by_id[r["id"] if round_no == 0 else r["parent_id"]] for r in rejected
               if r.get("stage") in RETRY_STAGES]
    return list(kept) + carried


def round_stats(round_no: int, records: list[Record], seconds: float) -> dict[str, Any]:
    """Counts per stage and reason, methods, tokens: the round's line of the funnel."""
    reasons = Counter(r["reason"] for r in records if r["status"] != "ok")
    by_stage = Counter(r["stage"] for r in records if r["status"] != "ok")
    tokens: Counter[str] = Counter()
    for r in records:
        for stage, usage in (r.get("usage") or {}).items():
            tokens[f"{stage}_prompt_tokens"] += usage.get("prompt_tokens", 0)
            tokens[f"{stage}_completion_tokens"] += usage.get("completion_tokens", 0)
    evolved = sum(1 for r in records if r.get("usage", {}).get("evolve"))
    answered = sum(1 for r in records if r.get("usage", {}).get("answer"))
    return {
        "round": round_no,
        "pool": len(records),
        "evolved": evolved,
        "eliminated": by_stage["eliminate"] + by_stage["judge"],
        "answered": answered,
        "filtered": by_stage["filter"],
        "llm_errors": sum(n for k, n in reasons.items() if k.startswith("llm_error")),
        "contaminated": by_stage["decontam"],
        "deduplicated": by_stage["dedup"],
        "kept": sum(1 for r in records if r["status"] == "ok"),
        "rejected_by_stage": dict(sorted(by_stage.items())),
        "reasons": dict(sorted(reasons.items())),
        "methods": dict(sorted(Counter(r["method"] for r in records).items())),
        "methods_kept": dict(sorted(Counter(r["method"] for r in records if r["status"] == "ok").items())),
        "tokens": dict(sorted(tokens.items())),
        "seconds": round(seconds, 3),
    }
