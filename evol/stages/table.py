"""The one ordered table of stages: it drives an item's trip, the round funnel, progress, stats and the report.

Adding a stage is one module (an async `run(ctx, item) -> Reject | None`, and `applies(ctx, item)`) plus one
entry here. Round-level stages (dedup) have no `run`: they act on the whole round in `round.finalize`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from evol.stages import agreed, answer, contamination, eliminate, evolve, gain, teeth, verify, write_tests
from evol.stages.context import Item, ItemContext, Reject

StageFn = Callable[[ItemContext, Item], Awaitable[Reject | None]]


@dataclass(frozen=True)
class Stage:
    """One step of the trip.

    name: the record's `stage` when it rejects, and its key in `rejected_by_stage`.
    stat, label: the funnel column (stats.json key, table label) counting its rejections (llm errors apart).
    passed: (stats key, label) of a column counting the items that got through it, if shown.
    retry: a rejection here is a failed evolution, so the parent may be tried again next round.
    """

    name: str
    stat: str
    label: str
    retry: bool
    run: StageFn | None = None
    applies: Callable[[ItemContext, Item], bool] = lambda ctx, item: True
    passed: tuple[str, str] | None = None


STAGES: list[Stage] = [
    Stage("evolve", "evolve_rejected", "evolve failed", True, evolve.run, evolve.applies, ("evolved", "evolved")),
    Stage("eliminate", "eliminated", "eliminated", True, eliminate.run, evolve.applies),
    Stage("judge", "eliminated", "eliminated", True, evolve.judge, evolve.judge_applies),
    Stage("answer", "answer_rejected", "answer failed", True, answer.run, answer.applies, ("answered", "answered")),
    Stage("filter", "filtered", "filtered", True, answer.filter_run, answer.filter_applies),
    Stage("tests", "tests_rejected", "no tests", True, write_tests.run, write_tests.applies, ("tested", "tested")),
    Stage("verify", "unverified", "unverified", True, agreed.verify_run, verify.applies, ("verified", "verified")),
    Stage("teeth", "weak_tests", "weak tests", True, teeth.run, teeth.applies),
    Stage("gain", "no_gain", "no gain", True, gain.run, gain.applies),
    Stage("decontam", "contaminated", "decontaminated", False, contamination.run, contamination.applies),
    Stage("dedup", "deduplicated", "deduplicated", False),
]


def by_name(name: str) -> Stage:
    return next(s for s in STAGES if s.name == name)


def retry_stages() -> frozenset[str]:
    """Stages whose rejections count as a failed evolution (the parent may be retried next round)."""
    return frozenset(s.name for s in STAGES if s.retry)


def funnel() -> list[tuple[str, str]]:
    """The funnel columns of stats.json in pipeline order: (key, label), from the table."""
    cols: list[tuple[str, str]] = [("pool", "pool")]
    for stage in STAGES:
        for col in (stage.passed, (stage.stat, stage.label)):
            if col is not None and col not in cols:
                cols.append(col)
    return [*cols, ("llm_errors", "LLM errors"), ("kept", "kept")]


def progress_columns() -> list[tuple[str, str]]:
    """(stage name, stats key) of the stages whose passes the progress bar counts."""
    return [(s.name, s.passed[0]) for s in STAGES if s.passed]


def stage_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """The funnel counts of a round's records: passes per stage, rejections per stage (llm errors apart)."""
    index = {s.name: s for s in STAGES}
    counts = {key: 0 for key, _ in funnel()}
    counts["pool"] = len(records)
    for r in records:
        for name in r.get("passed") or ():
            stage = index.get(name)
            if stage is not None and stage.passed:
                counts[stage.passed[0]] += 1
        if r["status"] == "ok":
            counts["kept"] += 1
        elif str(r.get("reason", "")).startswith("llm_error"):
            counts["llm_errors"] += 1
        elif r.get("stage") in index:
            counts[index[r["stage"]].stat] += 1
    return counts



def shown_funnel(all_stats: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The funnel columns worth showing for these rounds: pool, kept, and every column that is not 0 throughout."""
    return [(key, label) for key, label in funnel()
            if key in ("pool", "kept") or any(st.get(key, 0) for st in all_stats)]


def tokens_total(stats: dict[str, Any]) -> int:
    """A round's tokens (prompt + completion; reasoning tokens are already inside completion tokens)."""
    return sum(n for key, n in (stats.get("tokens") or {}).items() if not key.endswith("_reasoning_tokens"))
