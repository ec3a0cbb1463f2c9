"""End to end through the real sim over HTTP: artifacts, determinism, resume after SIGKILL, no key leaks."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evol.errors import DataError
from evol.pipeline import run
from evol.sim.launch import SimProcess
from tests.helpers import REPO, demo_config

SECRET = "sk-test-SECRET-7f3a9c"


def served(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-round run on 20 seeds against the auto-started sim, with an API key in the environment."""
    out = tmp_path_factory.mktemp("runs") / "demo"
    os.environ["OPENAI_API_KEY"] = SECRET
    try:
        run(demo_config(out, limit=20))
    finally:
        del os.environ["OPENAI_API_KEY"]
    return out


def test_artifacts_of_a_demo_run(demo_run: Path) -> None:
    assert (demo_run / "config.resolved.toml").exists()
    assert len(jsonl(demo_run / "round-00" / "seeds.jsonl")) == 20
    for r in range(1, 4):
        for name in ("evolved.jsonl", "kept.jsonl", "rejected.jsonl", "stats.json", "pool.jsonl"):
            assert (demo_run / f"round-{r:02d}" / name).exists(), name
    for path in demo_run.glob("round-*/*.jsonl"):
        for record in jsonl(path):  # every line parses
            assert {"id", "parent_id", "root_id", "round", "method", "instruction"} <= set(record)
    for path in demo_run.glob("round-*/rejected.jsonl"):
        for record in jsonl(path):
            assert record["reason"] and record["stage"]
    kept = jsonl(demo_run / "round-01" / "kept.jsonl")
    assert kept and all(k["model"] == "evol-sim" and k["usage"]["answer"]["completion_tokens"] > 0 for k in kept)
    assert all(k["method"] in ("add_constraints", "replace_requirement", "more_reasoning", "erroneous_code",
                               "complexity") for k in kept)
    train = json.loads((demo_run / "train.json").read_text())
    assert len(train) > 20
    assert all(set(row) == {"instruction", "output"} and row["instruction"].strip() and row["output"].strip()
               for row in train)
    stats = json.loads((demo_run / "round-01" / "stats.json").read_text())
    assert stats["pool"] == stats["kept"] + sum(stats["rejected_by_stage"].values())
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["simulated"] is True


def test_api_key_is_in_no_artifact(demo_run: Path) -> None:
    for path in demo_run.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_same_config_same_data(demo_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    run(demo_config(again, limit=20))
    assert (again / "train.json").read_bytes() == (demo_run / "train.json").read_bytes()
    ids = [r["id"] for r in jsonl(demo_run / "round-02" / "kept.jsonl")]
    assert ids == [r["id"] for r in jsonl(again / "round-02" / "kept.jsonl")]


def test_rerun_of_a_finished_run_makes_no_call(demo_run: Path, tmp_path: Path) -> None:
    log = tmp_path / "served.log"
    before = (demo_run / "train.json").read_bytes()
    with SimProcess("--log", str(log)) as sim:
        # Same data config (model evol-sim), a different endpoint URL: every answer comes from the cache.
        run(demo_config(demo_run, limit=20, **{"endpoint.base_url": sim.base_url, "endpoint.model": "evol-sim"}))
    assert served(log) == []
    assert (demo_run / "train.json").read_bytes() == before


def test_malformed_seed_line_stops_before_writing(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text('{"instruction": "Sort a list."}\n{"instruction": "Reverse a string."}\n{"instr\n')
    out = tmp_path / "run"
    with pytest.raises(DataError, match=rf"{seeds}:3"):
        run(demo_config(out, **{"seeds.paths": [str(seeds)]}))
    assert not out.exists()


def wait_for_lines(path: Path, n: int, timeout: float = 60) -> None:
    """Wait until a journal has at least `n` lines (the run is then mid-round)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not path.exists() or path.read_text().count("\n") < n):
        time.sleep(0.01)


def wait_until_quiet(log: Path, quiet: float = 1.0, timeout: float = 60) -> None:
    """Wait until the sim's log has not grown for `quiet` seconds (generous: no request arrives any more)."""
    deadline, last, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(served(log))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def cli_run(out: Path, base_url: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(REPO / "pipelines/demo.toml"), "--out", str(out),
           "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--limit", "40", "--rounds", "2",
           "--concurrency", "4", "--base-url", base_url, "--model", "evol-sim"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)


def test_sigkill_mid_round_then_resume(tmp_path: Path) -> None:
    """Killed mid-round 1 and rerun: the same train.json as an uninterrupted run, and the resumed
    run asks only for what was not yet answered and saved (counted at the sim)."""
    clean_log, crash_log = tmp_path / "clean.log", tmp_path / "crash.log"
    with SimProcess("--latency", "0.03", "--log", str(clean_log)) as sim:
        proc = cli_run(tmp_path / "clean", sim.base_url)
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode() if proc.stderr else ""
    # a slower sim for the run that is killed: the kill then lands mid-round even on a busy machine
    with SimProcess("--latency", "0.1", "--log", str(crash_log)) as sim:
        crashed = tmp_path / "crashed"
        proc = cli_run(crashed, sim.base_url)
        wait_for_lines(crashed / "round-01" / "evolved.jsonl", 8)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (crashed / "round-01" / "stats.json").exists(), "the kill came too late to test anything"
        wait_until_quiet(crash_log)  # the sim has finished (and classified) the requests that were in flight
        with sqlite3.connect(crashed / "cache.sqlite") as db:
            saved = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        before_resume = len(served(crash_log))
        proc = cli_run(crashed, sim.base_url)
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert (crashed / "train.json").read_bytes() == (tmp_path / "clean" / "train.json").read_bytes()
    total = len(served(clean_log))
    assert before_resume >= saved > 0
    assert len(served(crash_log)) - before_resume == total - saved


def test_unreachable_endpoint_fails_fast_naming_it(tmp_path: Path) -> None:
    from evol.errors import EndpointError

    # "cannot reach" is the preflight's message: the run stops before any item is sent (no clock to race)
    with pytest.raises(EndpointError, match="127.0.0.1:9/v1: cannot reach"):
        run(demo_config(tmp_path / "run", **{"endpoint.base_url": "http://127.0.0.1:9/v1"}))


def test_ctrl_c_says_how_to_resume_and_rerun_finishes(tmp_path: Path) -> None:
    """Judged by state, not timing: the Ctrl-C lands while round 0 still has most of its items in flight
    against a slow sim (2 s a reply), so no load can let the run finish first; the rerun uses a fast sim."""
    out = tmp_path / "run"
    with SimProcess("--latency", "2") as slow:
        proc = cli_run(out, slow.base_url)
        wait_for_lines(out / "round-00" / "answered.jsonl", 1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and b"rerun the same command to resume" in err, err[-2000:]
    assert b"Traceback" not in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert not (out / "round-00" / "stats.json").exists()  # it was cut mid-round
    with SimProcess() as fast:
        proc = cli_run(out, fast.base_url)
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert json.loads((out / "manifest.json").read_text())["status"] == "finished"
    assert json.loads((out / "train.json").read_text())


SMALL = {"limit": 6, "rounds": 1, "decontam.enabled": False}


def test_a_round_without_its_stats_is_finished_again_on_the_rerun(tmp_path: Path) -> None:
    """stats.json, written last, marks a round done: with kept.jsonl written but stats.json not (a crash
    between the two), the rerun finishes the round again, from its journal, to the same data."""
    out = tmp_path / "run"
    run(demo_config(out, **SMALL))
    before = (out / "train.json").read_bytes()
    (out / "round-01" / "stats.json").unlink()
    assert (out / "round-01" / "kept.jsonl").exists()
    log = tmp_path / "served.log"
    with SimProcess("--log", str(log)) as sim:
        run(demo_config(out, **SMALL, **{"endpoint.base_url": sim.base_url, "endpoint.model": "evol-sim"}))
    assert (out / "round-01" / "stats.json").exists() and served(log) == []
    assert (out / "train.json").read_bytes() == before


def test_the_rounds_draw_their_methods_from_the_adapted_weights(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import evol.pipeline

    only = {"add_constraints": 0.0, "replace_requirement": 0.0, "more_reasoning": 1.0, "erroneous_code": 0.0,
            "complexity": 0.0}
    monkeypatch.setattr(evol.pipeline, "adapted_weights", lambda *args: dict(only))
    out = tmp_path / "run"
    run(demo_config(out, **{**SMALL, "rounds": 2, "evolve.adapt": True}))
    first = {r["method"] for r in jsonl(out / "round-01" / "evolved.jsonl")}
    second = jsonl(out / "round-02" / "evolved.jsonl")
    assert len(first) > 1  # round 1 uses the configured mix (nothing measured yet)
    assert second and {r["method"] for r in second} == {"more_reasoning"}
    assert json.loads((out / "round-02" / "stats.json").read_text())["method_weights"] == only


def test_a_round_drops_the_near_duplicates_among_its_items(tmp_path: Path) -> None:
    words = ("Write a Python function that takes a list of integers and a target value and returns the "
             "indices of the two numbers that add up to the target, raising ValueError when there are").split()
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("".join(json.dumps({"instruction": " ".join([*words, end])}) + "\n"
                             for end in ("none", "no such numbers")))
    out = tmp_path / "run"
    run(demo_config(out, **{**SMALL, "rounds": 0, "seeds.paths": [str(seeds)]}))
    kept, rejected = jsonl(out / "round-00" / "kept.jsonl"), jsonl(out / "round-00" / "rejected.jsonl")
    assert len(kept) == 1 and [r["stage"] for r in rejected] == ["dedup"]
    assert json.loads((out / "round-00" / "stats.json").read_text())["deduplicated"] == 1


def test_execution_filter_runs_answers_in_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With filters.execute_code, answers that crash are rejected (the sim crashes some at run time) and every
    kept answer's Python ran (in the sandbox) without crashing."""
    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps({"answer_crash": 0.3}))
    out = tmp_path / "exec"
    run(demo_config(out, limit=12, rounds=1, **{"filters.execute_code": True}))
    rejected = jsonl(out / "round-00" / "rejected.jsonl") + jsonl(out / "round-01" / "rejected.jsonl")
    assert any(r["reason"].startswith("code_error:") and r["reason"] != "code_error:SyntaxError" for r in rejected)
    kept = jsonl(out / "round-01" / "kept.jsonl")
    assert kept and any("```python" in k["output"] for k in kept)
    from evol.stages.exec_filter import ExecutionFilter

    assert ExecutionFilter().check_many(kept) == [None] * len(kept)
    crash = {**kept[0], "output": "```python\nprint(1 / 0)\n```"}
    assert ExecutionFilter().check(crash) == "code_error:ZeroDivisionError"
