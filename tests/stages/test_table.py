"""Adding a stage is one module plus one table entry: it then shows in the trip, funnel, stats and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from evol.pipeline import run
from evol.report.funnel import funnel_table
from evol.report.page import write_report
from evol.stages import table
from evol.stages.context import Item, ItemContext, Reject
from tests.helpers import demo_config


async def no_odd_ids(ctx: ItemContext, item: Item) -> Reject | None:
    """A made-up house rule: items whose id ends in an odd hex digit go."""
    return Reject("odd_id") if int(item.record["id"][-1], 16) % 2 else None


def test_a_new_stage_reaches_trip_funnel_stats_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = table.Stage("house_rules", "house_rejected", "house rules", False, no_odd_ids)
    at = [s.name for s in table.STAGES].index("decontam")
    monkeypatch.setattr(table, "STAGES", [*table.STAGES[:at], stage, *table.STAGES[at:]])
    out = tmp_path / "run"
    result = run(demo_config(out, limit=10, rounds=1))
    stats = json.loads((out / "round-01" / "stats.json").read_text())
    rejected = [json.loads(line) for line in (out / "round-01" / "rejected.jsonl").read_text().splitlines()]
    assert stats["house_rejected"] == sum(r["stage"] == "house_rules" for r in rejected) > 0
    assert stats["rejected_by_stage"]["house_rules"] == stats["house_rejected"]
    console = Console(record=True, width=300)
    console.print(funnel_table(result.stats))
    assert "house rules" in console.export_text()
    assert "house rules" in write_report(out).read_text()
