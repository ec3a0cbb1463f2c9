"""The one ordered table of stages: it drives an item's trip, the round funnel, progress, stats, the estimate,
the report, preflight and `evol sandbox doctor`.

Adding a stage is one module (an async `run(ctx, item) -> Reject | None`, and `applies(ctx, item)`) plus one
entry here; a recipe adds its own by dotted path (`[stages] extra`, evol/stages/compose.py). Round-level stages
(dedup) have no `run`: they act on the whole round in `round.finalize`. docs/architecture.md has a worked example.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evol.prompts import Prompt
from evol.stages import agreed, answer, contamination, eliminate, evolve, gain, more_cases, teeth, verify, write_tests
from evol.stages.context import Item, ItemContext, Reject
from evol.stages.requires import Requirement, sandbox

StageFn = Callable[[ItemContext, Item], Awaitable[Reject | None]]


def _always(*_: Any) -> bool:
    return True


def _nothing(_: Any) -> tuple[Requirement, ...]:
    return ()


@dataclass(frozen=True)
class Stage:
    """One step of the trip.

    name: the record's `stage` when it rejects, and its key in `rejected_by_stage`.
    stat, label, short: the funnel column (stats.json key, table label, progress label) counting its
    rejections (llm errors apart). passed: (stats key, label, short label) of a column counting the items
    that got through it, if shown. retry: a rejection here is a failed evolution (the parent may be tried again).
    prompts: the templates it renders (prompts/); a stage with prompts calls the LLM (estimate, the sim).
    active(cfg): whether a run with this config uses it at all. requires(cfg): what it needs from the machine.
    per_method: its column in the per-method yield (stats `by_method`): its passes if it has `passed`,
    else its rejections.
    """

    name: str
    stat: str
    label: str
    retry: bool
    run: StageFn | None = None
    applies: Callable[[ItemContext, Item], bool] = _always
    passed: tuple[str, str, str] | None = None
    short: str = ""
    prompts: tuple[Prompt, ...] = ()
    active: Callable[[Any], bool] = _always
    requires: Callable[[Any], tuple[Requirement, ...]] = _nothing
    per_method: str | None = None

    @property
    def calls_llm(self) -> bool:
        return bool(self.prompts)


def _verifying(cfg: Any) -> bool:
    return bool(cfg.verify.enabled)


def _sandbox_if_verifying(cfg: Any) -> tuple[Requirement, ...]:
    return sandbox(cfg) if cfg.verify.enabled else ()


STAGES: list[Stage] = [
    Stage("evolve", "evolve_rejected", "evolve failed", True, evolve.run, evolve.applies,
          ("evolved", "evolved", "evol"), "evo err",
          (Prompt("evolve_code"), Prompt("evolve_depth"), Prompt("evolve_breadth")), per_method="evolved"),
    Stage("eliminate", "eliminated", "eliminated", True, eliminate.run, evolve.applies, short="elim",
          per_method="eliminated"),
    Stage("judge", "eliminated", "eliminated", True, evolve.judge, evolve.judge_applies, short="elim",
          prompts=(Prompt("judge_equal"),), active=lambda cfg: cfg.eliminate.judge, per_method="eliminated"),
    Stage("answer", "answer_rejected", "answer failed", True, answer.run, answer.applies,
          ("answered", "answered", "ans"), "ans err", (Prompt("answer"), Prompt("answer_with_tests"))),
    Stage("filter", "filtered", "filtered", True, answer.filter_run, answer.filter_applies, short="filt"),
    Stage("tests", "tests_rejected", "no tests", True, write_tests.run, write_tests.applies,
          ("tested", "tested", "tests"), prompts=(Prompt("tests"),), active=_verifying),
    Stage("verify", "unverified", "unverified", True, agreed.verify_run, verify.applies,
          ("verified", "verified", "verif"), "unver", (Prompt("answer"),), _verifying, _sandbox_if_verifying,
          per_method="verified"),
    Stage("teeth", "weak_tests", "weak tests", True, teeth.run, teeth.applies, short="weak",
          active=lambda cfg: cfg.verify.enabled and cfg.verify.mutants > 0, requires=_sandbox_if_verifying),
    Stage("more_cases", "weak_tests", "weak tests", True, more_cases.run, more_cases.applies, short="weak",
          prompts=(Prompt("more_inputs"),), active=lambda cfg: cfg.verify.enabled and cfg.verify.mutants > 0
          and cfg.verify.more_cases > 0, requires=_sandbox_if_verifying),
    Stage("gain", "no_gain", "no gain", True, gain.run, gain.applies, active=_verifying,
          requires=_sandbox_if_verifying, per_method="no_tested_gain"),
    Stage("decontam", "contaminated", "decontaminated", False, contamination.run, contamination.applies,
          short="contam", active=lambda cfg: cfg.decontam.enabled),
    Stage("dedup", "deduplicated", "deduplicated", False, short="dedup", active=lambda cfg: cfg.dedup.enabled,
          per_method="deduplicated"),
]
ENDS = [("llm_errors", "LLM errors", "llm err"), ("kept", "kept", "kept")]


def retry_stages(stages: Sequence[Stage] | None = None) -> frozenset[str]:
    """Stages whose rejections count as a failed evolution (the parent may be retried next round)."""
    return frozenset(s.name for s in stages or STAGES if s.retry)


def columns(stages: Sequence[Stage] | None = None) -> list[tuple[str, str, str]]:
    """The funnel columns in pipeline order: (stats key, label, short label), from the table."""
    cols: list[tuple[str, str, str]] = [("pool", "pool", "pool")]
    keys = {"pool"}
    for stage in stages or STAGES:
        for col in (stage.passed, (stage.stat, stage.label, stage.short or stage.label)):
            if col is not None and col[0] not in keys:
                cols.append(col)
                keys.add(col[0])
    return [*cols, *ENDS]


def funnel(stages: Sequence[Stage] | None = None) -> list[tuple[str, str]]:
    """The funnel columns of stats.json in pipeline order: (key, label)."""
    return [(key, label) for key, label, _ in columns(stages)]


def short_labels(all_stats: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Label -> short label (the progress table's column heads), of the table and of these rounds' own stages."""
    out = {label: short for _, label, short in columns()}
    for st in all_stats or ():
        out.update({label: short for _, label, short in st.get("funnel") or ()})
    return out


def progress_columns(stages: Sequence[Stage] | None = None) -> list[tuple[str, str]]:
    """(stage name, stats key) of the stages whose passes the progress bar counts."""
    return [(s.name, s.passed[0]) for s in stages or STAGES if s.passed]


def stage_counts(records: list[dict[str, Any]], stages: Sequence[Stage] | None = None) -> dict[str, int]:
    """The funnel counts of a round's records: passes per stage, rejections per stage (llm errors apart)."""
    index = {s.name: s for s in stages or STAGES}
    counts = {key: 0 for key, _ in funnel(stages)}
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


def method_columns(stages: Sequence[Stage] | None = None) -> list[str]:
    """The per-method yield columns (stats `by_method`), in pipeline order, then `kept`."""
    cols = [s.per_method for s in stages or STAGES if s.per_method]
    return [*dict.fromkeys(cols), "kept"]


def method_counts(records: list[dict[str, Any]], stages: Sequence[Stage] | None = None) -> dict[str, int]:
    """One method's yield: each stage's passes (or rejections) under its `per_method` column, and kept."""
    counts = dict.fromkeys(method_columns(stages), 0)
    for stage in stages or STAGES:
        if stage.per_method is None:
            continue
        if stage.passed:
            counts[stage.per_method] += sum(stage.name in (r.get("passed") or ()) for r in records)
        else:
            counts[stage.per_method] += sum(r["status"] != "ok" and r.get("stage") == stage.name for r in records)
    counts["kept"] = sum(r["status"] == "ok" for r in records)
    return counts


def shown_funnel(all_stats: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The funnel columns worth showing for these rounds: pool, kept, and every column that is not 0 throughout.

    A round's stats name their own columns (`funnel`: a recipe's stages are there); older rounds use the table's.
    """
    cols: dict[str, str] = {}
    for st in all_stats:
        cols.update({key: label for key, label, _ in st.get("funnel") or columns()})
    if not all_stats:
        cols = dict(funnel())
    tail = {key: cols.pop(key) for key, _, _ in ENDS if key in cols}
    return [(key, label) for key, label in [*cols.items(), *tail.items()]
            if key in ("pool", "kept") or any(st.get(key, 0) for st in all_stats)]


def tokens_total(stats: dict[str, Any]) -> int:
    """A round's tokens (prompt + completion; reasoning tokens are already inside completion tokens)."""
    return sum(n for key, n in (stats.get("tokens") or {}).items() if not key.endswith("_reasoning_tokens"))
