"""`evol stats` (funnel and totals) and `evol show` (one sample's lineage tree)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evol.cli import app
from evol.io import read_jsonl
from evol.report import load_run
from evol.report.lineage import Lineage

REPO = Path(__file__).resolve().parents[2]


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_stats_table(demo_run: Path) -> None:
    out = _ok("stats", str(demo_run), "--prices", str(REPO / "pipelines" / "wizardcoder.toml"))
    assert "funnel per round" in out and "totals" in out
    assert "SYNTHETIC" in out and "at gpt-3.5-turbo prices" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows[:4]] == ["0", "1", "2", "3"]


def test_stats_json_matches_train_json(demo_run: Path) -> None:
    data = json.loads(_ok("stats", str(demo_run), "--json"))
    train = json.loads((demo_run / "train.json").read_text())
    totals = data["totals"]
    assert totals["kept"] == len(train)
    assert [r["round"] for r in data["rounds"]] == [0, 1, 2, 3]
    assert totals["cost"] is None and totals["price_model"] is None  # the demo config has no [prices]
    assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0
    assert totals["rejected"] == sum(totals["rejected_by_stage"].values())


def test_show_tree_of_a_last_round_sample(demo_run: Path) -> None:
    last = next(read_jsonl(demo_run / "round-03" / "kept.jsonl"))
    chain = Lineage(load_run(demo_run).by_id).chain(last)
    assert chain[0]["round"] == 0 and chain[0]["id"] == last["root_id"]
    out = _ok("show", str(demo_run), last["id"])
    for record in chain:  # every step of the path, with its method and outcome
        assert record["id"] in out
        assert str(record["method"]) in out
    assert "◀" in out and "tok" in out and "instruction" in out and "output" in out


def test_show_rejected_sample_gives_reason_and_prefix_works(demo_run: Path) -> None:
    rejected = next(r for r in read_jsonl(demo_run / "round-01" / "rejected.jsonl"))
    out = _ok("show", str(demo_run), rejected["id"][:12], "--path", "--max-chars", "80")
    assert f"rejected at {rejected['stage']}: {rejected['reason']}" in out


def test_show_unknown_and_ambiguous_ids(demo_run: Path) -> None:
    result = CliRunner().invoke(app, ["show", str(demo_run), "r9-nothing"])
    assert result.exit_code == 3 and "no record with id 'r9-nothing'" in result.output
    result = CliRunner().invoke(app, ["show", str(demo_run), "r1-"])
    assert result.exit_code == 3 and "ambiguous" in result.output


def test_the_id_docs_artifacts_md_shows_is_one_the_demo_run_holds(demo_run: Path) -> None:
    """Ids are made from content, so the example in the docs names a sample `make evolve` grows."""
    line = next(x for x in (REPO / "docs" / "artifacts.md").read_text().splitlines() if x.startswith("evol show "))
    example = line.split()[3]
    out = _ok("show", str(demo_run), example)
    assert f"{example}" in out and "◀" in out
