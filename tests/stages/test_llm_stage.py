"""Adding a stage that calls the LLM is one module (tests/stages/review_stage.py) plus one table entry: it then
shows in the estimate, progress, stats, the report and the calls log, and the sim answers its prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from evol.calls import read_calls
from evol.pipeline import run
from evol.plan.estimate import estimate
from evol.progress import RoundBar, funnel_table, make_progress
from evol.report.page import write_report
from evol.stages import table
from tests.helpers import demo_config
from tests.stages.review_stage import review


def test_an_llm_stage_reaches_estimate_progress_stats_report_and_the_sim(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    at = [s.name for s in table.STAGES].index("filter") + 1
    monkeypatch.setattr(table, "STAGES", [*table.STAGES[:at], review, *table.STAGES[at:]])  # the one entry
    out = tmp_path / "run"
    cfg = demo_config(out, limit=6, rounds=1, **{"calls.text": True})
    rows = {r["stage"]: r for r in estimate(cfg)["stages"]}
    assert list(rows).index("review") == list(rows).index("answer") + 1
    assert rows["review"]["calls"] == rows["answer"]["calls"] and rows["review"]["prompt_tokens"] > 0
    result = run(cfg)
    stats = json.loads((out / "round-01" / "stats.json").read_text())
    assert stats["reviewed"] > 0 and stats["tokens"]["review_prompt_tokens"] > 0
    assert stats["stage_seconds"]["review"]["wall"] > 0
    console = Console(record=True, width=300)
    console.print(funnel_table(result.stats))
    assert " rev " in console.export_text()  # its short label heads a progress-table column
    progress = make_progress(Console(record=True, width=300))
    RoundBar(progress, "round 1", 1)({"status": "ok", "passed": ["answer", "review"]})
    assert "reviewed 1" in progress.tasks[0].fields["detail"]  # the live bar counts its passes
    page = write_report(out).read_text()
    assert "reviewed" in page and "<td class=\"l\">review</td>" in page  # funnel and seconds-per-stage tables
    reviews = [c for c in read_calls(out) if c["stage"] == "review"]
    assert reviews and all(c["status"] == "ok" and c["reply"] and "#Answer#" in c["prompt"] for c in reviews)
