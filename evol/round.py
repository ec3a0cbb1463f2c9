"""One round: stream the pool through the item stages into an append-only journal, then finalize.

The round's files (pool, journal, kept, rejected, stats.json last = done) are `evol.rundir.RunDir`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.calls import CURRENT_ITEM
from evol.errors import DataError, EvolError
from evol.io import JsonlAppender, atomic_write_json, atomic_write_jsonl, read_jsonl
from evol.records import Record, child_id
from evol.round_pending import ItemsPending, Streak, pending_cause
from evol.rundir import RunDir
from evol.stages.context import ItemContext
from evol.stages.item import PENDING, process
from evol.stages.table import Stage, columns, method_counts, retry_stages, stage_counts

DROP_FIELDS = ("status", "passed", "timing")


def journal_path(run_dir: Path, round_no: int) -> Path:
    return RunDir(run_dir).journal(round_no)


def is_done(run_dir: Path, round_no: int) -> bool:
    return RunDir(run_dir).is_done(round_no)


def journal_records(journal: Path) -> dict[str, Record]:
    """The final record of each item a round's journal holds, by id (a cut last line is ignored).

    Pending records (an item that waits for the endpoint) are not final: a later line may finish the item.
    """
    if not journal.exists():
        return {}
    return {r["id"]: r for r in read_jsonl(journal, tolerate_partial_tail=True) if r.get("status") != PENDING}


def journal_ids(journal: Path) -> set[str]:
    """Ids of the items a round's journal has finished (kept or rejected; pending ones are retried)."""
    return set(journal_records(journal))


def pending_ids(journal: Path, pool: list[Record], round_no: int) -> list[str]:
    """The pool's items without a final journal record, in pool order (failed for the endpoint, or not tried)."""
    done = journal_ids(journal)
    return [i for p in pool if (i := _item_id(p, round_no)) not in done]


def check_pending(journal: Path, pool: list[Record], round_no: int, started: float,
                  done_stats: list[dict[str, Any]]) -> None:
    """Raise ItemsPending when a streamed round still has items without a final record (it is not done)."""
    pending = pending_ids(journal, pool, round_no)
    if not pending:
        return
    final = journal_records(journal)
    partial = round_stats(round_no, [final[i] for p in pool if (i := _item_id(p, round_no)) in final],
                          time.monotonic() - started)
    partial.update(pool=len(pool), pending=len(pending))
    everything = list(read_jsonl(journal, tolerate_partial_tail=True))
    raise ItemsPending(round_no, pending, len(pool), pending_cause(everything), [*done_stats, partial])


async def stream_items(ctx: ItemContext, pool: list[Record], round_no: int, journal: Path, done: set[str],
                       concurrency: int, on_done: Callable[[Record], None],
                       weights: dict[str, float] | None = None) -> None:
    """Process every pool item not in `done`, `concurrency` workers pulling from one iterator.

    `weights`: this round's method mix when it is adapted (None: the configured weights).
    An item that failed for the endpoint is journaled as pending (not shown as done); after PENDING_STREAK
    of them in a row the round stops with an EndpointError (the caller counts what is pending).
    """
    todo = iter(p for p in pool if _item_id(p, round_no) not in done)
    streak = Streak()
    with JsonlAppender(journal) as out:

        async def worker() -> None:
            for parent in todo:
                CURRENT_ITEM.set(_item_id(parent, round_no))  # names the item in the calls log
                record = await process(ctx, parent, round_no, weights)
                out.write(record)
                if record.get("status") != PENDING:
                    on_done(record)
                streak.see(record)

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
             llm_usage: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
             stages: list[Stage] | None = None) -> tuple[list[Record], list[Record], dict[str, Any]]:
    """Order the journal by pool order, deduplicate, write kept/rejected, the index state, then stats.

    stats.json is written last: its presence marks the round as done, so a round with an item still
    pending (no final journal record) is never finalized (DataError). `llm_usage` (calls, attempts and
    errors per stage, as this process saw them) is stored beside the counts. `stages`: the run's (None: the
    table's).
    """
    journal = journal_records(journal_path(run_dir, round_no))
    missing = [i for p in pool if (i := _item_id(p, round_no)) not in journal]
    if missing:
        raise DataError(f"round {round_no}: {len(missing)} items have no final record (e.g. {missing[0]}); "
                        "the round cannot be finished yet")
    ordered = [journal[_item_id(p, round_no)] for p in pool]
    candidates = [r for r in ordered if r["status"] == "ok"]
    wall, cpu = time.perf_counter(), time.process_time()
    removals = dedup_index.process(candidates) if dedup_index is not None and candidates else [None] * len(
        candidates)
    dedup_seconds = [time.perf_counter() - wall, time.process_time() - cpu] if dedup_index is not None else None
    for record, removal in zip(candidates, removals, strict=True):
        if removal is not None:
            record.update(status="rejected", stage="dedup", **removal)
    kept = [_clean(r) for r in ordered if r["status"] == "ok"]
    rejected = [_clean(r) for r in ordered if r["status"] != "ok"]
    stats = round_stats(round_no, ordered, time.monotonic() - started, stages)
    if dedup_seconds is not None:
        stats["stage_seconds"]["dedup"] = {"wall": round(dedup_seconds[0], 6), "cpu": round(dedup_seconds[1], 6)}
    stats.update(extra or {})
    if llm_usage is not None:
        stats["llm_calls_this_process"] = llm_usage
    files = RunDir(run_dir)
    atomic_write_jsonl(files.kept(round_no), kept)
    atomic_write_jsonl(files.rejected(round_no), rejected)
    if dedup_index is not None:
        dedup_index.save(files.dedup_index(round_no))
    atomic_write_json(files.stats(round_no), stats)
    return kept, rejected, stats


def dedup_state_path(run_dir: Path, round_no: int) -> Path:
    """The near-dup index after round `round_no` (rounds start from the previous round's state)."""
    return RunDir(run_dir).dedup_index(round_no)


def _clean(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in DROP_FIELDS}


TRIED_ANSWER = ("output", "code", "language", "tests", "cases", "checks", "verification")


def next_pool(round_no: int, pool: list[Record], kept: list[Record], rejected: list[Record],
              carry_failed: bool, verified_only: bool = False, stages: list[Stage] | None = None) -> list[Record]:
    """Survivors go on; with carry_failed, the parent of a failed evolution is tried again next round.

    `verified_only`: a seed rejected in round 0 never verified, so it is no parent. Otherwise a carried seed
    takes the answer it was tried with along (its children's gain is checked against it)."""
    if not carry_failed:
        return list(kept)
    by_id = {p["id"]: p for p in pool}
    retry = retry_stages(stages)
    failed = [r for r in rejected if r.get("stage") in retry]
    if round_no > 0:
        return list(kept) + [by_id[r["parent_id"]] for r in failed]
    if verified_only:
        return list(kept)
    return list(kept) + [{**by_id[r["id"]], **{k: r[k] for k in TRIED_ANSWER if k in r}} if r.get("verification")
                         else by_id[r["id"]] for r in failed]


def round_stats(round_no: int, records: list[Record], seconds: float,
                stages: list[Stage] | None = None) -> dict[str, Any]:
    """Counts per stage and reason, methods, tokens, seconds per stage: the round's line of the funnel.

    Its columns come from the run's stages (`funnel` names them, so a recipe's own stages show in the report).
    """
    reasons = Counter(r["reason"] for r in records if r["status"] != "ok")
    by_stage = Counter(r["stage"] for r in records if r["status"] != "ok")
    tokens: Counter[str] = Counter()
    for r in records:
        for stage, usage in (r.get("usage") or {}).items():
            for kind, n in usage.items():
                if kind.endswith("_tokens") and kind != "total_tokens" and isinstance(n, int):
                    tokens[f"{stage}_{kind}"] += n
    return {
        "round": round_no,
        **stage_counts(records, stages),
        "funnel": [list(col) for col in columns(stages)],
        "rejected_by_stage": dict(sorted(by_stage.items())),
        "reasons": dict(sorted(reasons.items())),
        "methods": dict(sorted(Counter(r["method"] for r in records).items())),
        "methods_kept": dict(sorted(Counter(r["method"] for r in records if r["status"] == "ok").items())),
        "by_method": method_yield(records, stages),
        "verification": verification_stats(records),
        "tokens": dict(sorted(tokens.items())),
        "stage_seconds": stage_seconds(records),
        "seconds": round(seconds, 3),
    }


def method_yield(records: list[Record], stages: list[Stage] | None = None) -> dict[str, dict[str, int]]:
    """Per evolution method: the table's per-method columns (evolved, eliminated, verified, ...) and kept."""
    by: dict[str, list[Record]] = {}
    for r in records:
        by.setdefault(r["method"], []).append(r)
    return {m: method_counts(rs, stages) for m, rs in sorted(by.items())}


def stage_seconds(records: list[Record]) -> dict[str, dict[str, float]]:
    """Wall and CPU seconds per stage, summed over the round's items (evol/stages/timing.py)."""
    out: dict[str, dict[str, float]] = {}
    for r in records:
        for stage, (wall, cpu) in (r.get("timing") or {}).items():
            acc = out.setdefault(stage, {"wall": 0.0, "cpu": 0.0})
            acc["wall"] += wall
            acc["cpu"] += cpu
    return {stage: {k: round(v, 6) for k, v in acc.items()} for stage, acc in out.items()}


def verification_stats(records: list[Record]) -> dict[str, Any]:
    """Verification outcomes, attempts and difficulty of the round's verified-or-tried items."""
    tried = [r for r in records if r.get("verification")]
    if not tried:
        return {}
    attempts = [r["verification"]["attempts"] for r in tried]
    return {
        "tried": len(tried),
        "status": dict(sorted(Counter(r["verification"]["status"] for r in tried).items())),
        "difficulty": dict(sorted(Counter(r.get("difficulty", "never") for r in tried).items(),
                                  key=lambda kv: str(kv[0]))),  # labels, or pass rates over k
        "attempts_total": sum(attempts),
        "seconds_total": round(sum(r["verification"].get("seconds") or 0 for r in tried), 3),
        "gain_seconds_total": round(sum((r.get("gain") or {}).get("seconds") or 0 for r in records), 3),
        "kept_verified": sum(1 for r in tried if r["status"] == "ok" and r["verification"]["status"] == "verified"),
        **_agreement_stats(tried),
    }


def _agreement_stats(tried: list[Record]) -> dict[str, Any]:
    """With k answers: the mean pass rate over k, the cases dropped as suspect, mutation scores (when measured)."""
    rates = [r["verification"]["pass_rate"] for r in tried if r["verification"].get("pass_rate") is not None]
    scores = [r["mutation"]["score"] for r in tried if (r.get("mutation") or {}).get("score") is not None]
    out: dict[str, Any] = {}
    if rates:
        out.update(pass_rate_mean=round(sum(rates) / len(rates), 4),
                   cases_dropped=sum(len(r.get("cases_dropped") or ()) for r in tried))
    if scores:
        out["mutation_score_mean"] = round(sum(scores) / len(scores), 4)
    return out
