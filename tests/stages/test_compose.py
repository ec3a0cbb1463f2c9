"""A recipe composes its stages: `[stages] extra` adds one by dotted path, where it says; stats show seconds
per stage; a stage's missing requirement fails preflight in one line."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.errors import ConfigError
from evol.io import read_jsonl
from evol.pipeline import run
from evol.rundir import RunDir
from evol.stages.compose import load_stage, run_stages
from evol.stages.timing import timed, to_thread
from tests.helpers import DEMO, REPO, demo_config


def test_a_recipe_adds_stages_by_dotted_path_in_order_and_stats_show_seconds(tmp_path: Path) -> None:
    out = tmp_path / "run"
    extra = [{"path": "tests.stages.review_stage:review", "after": "filter"}, "tests.stages.plain_stage"]
    cfg = demo_config(out, limit=8, rounds=1, **{"stages.extra": extra})
    assert [s.name for s in run_stages(cfg)][3:7] == ["answer", "filter", "review", "tests"]
    assert [s.name for s in run_stages(cfg)][-3:] == ["plain_stage", "decontam", "dedup"]
    run(cfg)
    files = RunDir(out)
    journal = list(read_jsonl(files.journal(1)))
    through = [r["passed"] for r in journal if "plain_stage" in r["passed"]]
    assert through and all(p.index("review") == p.index("filter") + 1 for p in through)
    assert all(p.index("plain_stage") > p.index("review") for p in through)
    stats = json.loads(files.stats(1).read_text())
    seconds = stats["stage_seconds"]
    assert {"evolve", "answer", "filter", "review", "plain_stage"} <= set(seconds)
    assert all(seconds[name]["wall"] > 0 for name in ("evolve", "answer", "review"))  # each waited for the LLM
    assert all(s["cpu"] >= 0 for s in seconds.values()) and seconds["answer"]["cpu"] > 0, seconds
    assert ["review_rejected", "review failed", "rev err"] in stats["funnel"]  # the report labels it from here
    assert "timing" not in next(iter(read_jsonl(files.kept(1))))  # stats only, not the data


def test_a_missing_requirement_fails_preflight_in_one_line(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path / "run", limit=2, rounds=1,
                      **{"stages.extra": ["tests.stages.review_stage:needs_missing_tool"]})
    with pytest.raises(ConfigError) as caught:
        run(cfg)
    assert "\n" not in str(caught.value)
    assert "stage 'lint' needs tool evol-no-such-linter: evol-no-such-linter not on PATH" in str(caught.value)
    assert not (tmp_path / "run").exists()  # refused before anything was written
    config = tmp_path / "lint.toml"
    config.write_text(DEMO.read_text().replace('"data/seeds/', f'"{REPO}/data/seeds/')
                      + '\n[stages]\nextra = ["tests.stages.review_stage:needs_missing_tool"]\n')
    done = CliRunner().invoke(app, ["run", "--config", str(config), "--out", str(tmp_path / "cli")])
    assert done.exit_code == 2 and "evol-no-such-linter" in done.output


def test_a_bad_path_or_place_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Stage"):
        load_stage("tests.stages.review_stage:PROMPT")
    cfg = demo_config(tmp_path / "r", **{"stages.extra": [{"path": "tests.stages.plain_stage", "after": "nope"}]})
    with pytest.raises(ConfigError, match="no stage 'nope'"):
        run_stages(cfg)
    with pytest.raises(ConfigError, match=r"endpoint.stage_api: \['filter'\] call\(s\) no LLM"):
        run_stages(demo_config(tmp_path / "r", **{"endpoint.stage_api": {"filter": "completions"}}))
    assert run_stages(demo_config(tmp_path / "r", **{"endpoint.stage_api": {"review": "completions"},
                                                     "stages.extra": ["tests.stages.review_stage:review"]}))


def _spin(cpu_s: float) -> None:
    start = time.thread_time()
    while time.thread_time() - start < cpu_s:
        pass


def test_cpu_seconds_are_the_stages_own_not_its_neighbours() -> None:
    """The loop interleaves items: a stage waiting while another item burns CPU is not charged for it;
    its own work in a worker thread is."""

    async def waits() -> str:
        await asyncio.sleep(0.05)
        return "done"

    async def burns() -> None:
        await asyncio.sleep(0)
        _spin(0.2)

    async def threaded() -> None:
        await to_thread(_spin, 0.1)

    async def main() -> tuple[tuple[str, float, float], tuple[None, float, float]]:
        waiting, _ = await asyncio.gather(timed(waits()), burns())
        return waiting, await timed(threaded())

    (value, wall, cpu), (_, _, thread_cpu) = asyncio.run(main())
    assert value == "done" and wall >= 0.05
    assert cpu < 0.05  # the 0.2 s the other item burnt meanwhile is not this stage's
    assert thread_cpu >= 0.09
