"""The calls log: every LLM call of a run with faults injected, and `evol calls` listing them."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
from typer.testing import CliRunner

from evol.calls import CallLog, read_calls
from evol.calls_migrations import MIGRATIONS, migrate
from evol.cli import app
from evol.llm.types import LLMRequest, LLMResult
from evol.pipeline import run
from evol.sim.launch import SimProcess
from tests.helpers import REPO, demo_config

FAULTS = ("--p500", "0.3", "--p429", "0.1", "--seed", "5")
SMALL = {"limit": 12, "rounds": 1, "decontam.enabled": False, "endpoint.backoff_base": 0.01,
         "endpoint.max_attempts": 1, "endpoint.model": "evol-sim"}


def _faulty_run(out: Path, **extra: object) -> dict[str, int]:
    """A run against a sim answering 30% 500s (failed at once: max_attempts 1) and 10% 429s (retried)."""
    with SimProcess(*FAULTS) as sim:
        run(demo_config(out, **{**SMALL, "endpoint.base_url": sim.base_url, **extra}))
        return httpx.get(sim.base_url.removesuffix("/v1") + "/stats", timeout=5).json()["counts"]


def _rejected(out: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(out.glob("round-*/rejected.jsonl")) for line in p.read_text().splitlines()]


def test_every_call_is_logged_and_failed_ones_carry_their_kind(tmp_path: Path) -> None:
    out = tmp_path / "run"
    served = _faulty_run(out)
    calls = read_calls(out)
    # every request the sim saw is an attempt of exactly one logged call
    assert sum(c["attempts"] for c in calls) == served["requests"]
    assert sum(c["status"] == "ok" for c in calls) == served["ok"]
    assert {c["stage"] for c in calls} == {"evolve", "answer"}
    assert all(c["item"] and c["endpoint"].startswith("http://127.0.0.1:") for c in calls)
    ok = [c for c in calls if c["status"] == "ok"]
    assert all(c["prompt_tokens"] and c["finish_reason"] and c["error_kind"] is None for c in ok)
    assert all(c["prompt"] is None and c["reply"] is None for c in calls)  # no text unless asked
    # each item rejected for an LLM error has its failed call, with the same stage and kind
    failed = {(c["item"], c["stage"]): c["error_kind"] for c in calls if c["status"] == "failed"}
    llm_errors = {(r["id"], r["stage"]): r["reason"].removeprefix("llm_error:")
                  for r in _rejected(out) if r["reason"].startswith("llm_error:")}
    assert llm_errors and failed == llm_errors
    assert "server_error" in failed.values()


def test_evol_calls_lists_them_and_failed_shows_the_kinds(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _faulty_run(out)
    calls = read_calls(out)
    n_failed = sum(c["status"] != "ok" for c in calls)
    runner = CliRunner()
    everything = runner.invoke(app, ["calls", str(out)])
    assert everything.exit_code == 0, everything.output
    assert f"{len(calls)} call(s), {n_failed} failed" in everything.output
    only_failed = runner.invoke(app, ["calls", str(out), "--failed", "--json"])
    rows = [json.loads(line) for line in only_failed.output.splitlines()]
    assert len(rows) == n_failed > 0 and all(r["status"] == "failed" and r["error_kind"] for r in rows)
    kinds = Counter(r["error_kind"] for r in rows)
    table = runner.invoke(app, ["calls", str(out), "--failed"])
    assert f"{n_failed} call(s), {n_failed} failed: " in table.output
    assert all(f"{kind} {n}" in table.output for kind, n in kinds.items())
    answers = runner.invoke(app, ["calls", str(out), "--stage", "answer", "--json"])
    assert {json.loads(line)["stage"] for line in answers.output.splitlines()} == {"answer"}


def test_text_is_stored_only_when_asked(tmp_path: Path) -> None:
    with SimProcess() as sim:
        run(demo_config(tmp_path / "run", **{**SMALL, "limit": 3, "endpoint.base_url": sim.base_url,
                                             "calls.text": True}))
    calls = read_calls(tmp_path / "run")
    assert calls and all(c["prompt"] and c["reply"] for c in calls)
    with sqlite3.connect(tmp_path / "run" / "calls.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == len(calls)


def test_a_run_without_a_calls_log_is_a_data_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "evol", "calls", str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 3 and "no calls log" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_verbose_logs_failed_calls(tmp_path: Path) -> None:
    config = tmp_path / "once.toml"  # the demo, each request tried once
    demo = (REPO / "pipelines/demo.toml").read_text()
    config.write_text(demo.replace("[endpoint]\n", "[endpoint]\nmax_attempts = 1\n"))
    with SimProcess("--p500", "1.0") as sim:
        done = subprocess.run([sys.executable, "-m", "evol", "-v", "run", "--config", str(config),
                               "--out", str(tmp_path / "run"), "--base-url", sim.base_url, "--model", "evol-sim",
                               "--limit", "2", "--rounds", "0"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert "call failed: answer" in done.stderr and "server_error" in done.stderr
    quiet = subprocess.run([sys.executable, "-m", "evol", "calls", str(tmp_path / "run"), "--failed"],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "2 call(s), 2 failed: server_error 2" in quiet.stdout


OLD_SCHEMA = """CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, round INTEGER, stage TEXT, item TEXT, endpoint TEXT, model TEXT,
  status TEXT NOT NULL, attempts INTEGER, seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
  finish_reason TEXT, error_kind TEXT, error TEXT, prompt TEXT, reply TEXT
)"""


def _old_log(path: Path) -> None:
    """calls.sqlite as evol wrote it before schema versions: the first table, user_version 0, one row."""
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_SCHEMA)
        db.execute("INSERT INTO calls (at, round, stage, item, model, status, attempts, prompt_tokens) "
                   "VALUES (1.0, 0, 'answer', 'old-item', 'evol-sim', 'ok', 1, 7)")


def test_a_run_on_the_old_calls_schema_resumes_and_its_log_migrates(tmp_path: Path) -> None:
    out = tmp_path / "run"
    small = {**SMALL, "limit": 4}
    with SimProcess() as sim:
        run(demo_config(out, **{**small, "rounds": 0, "endpoint.base_url": sim.base_url}))
        _old_log(out / "calls.sqlite")
        assert [c["item"] for c in read_calls(out)] == ["old-item"]  # readable before it migrates
        run(demo_config(out, **{**small, "endpoint.base_url": sim.base_url}))  # resume: round 1
    with contextlib.closing(sqlite3.connect(out / "calls.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert [n for (n,) in db.execute("SELECT name FROM _migrations")] == [m.__name__ for m in MIGRATIONS]
    calls = read_calls(out)
    assert calls[0]["item"] == "old-item" and calls[0]["prompt_tokens"] == 7 and calls[0]["params"] is None
    new = calls[1:]
    assert new and {c["round"] for c in new} == {1} and all(c["status"] == "ok" for c in new)
    for c in new:
        sent = json.loads(c["params"])
        assert "max_tokens" in sent and "temperature" in sent  # the parameters as the dialect sent them
        assert c["served_model"] == "evol-sim" and json.loads(c["usage"])["prompt_tokens"] == c["prompt_tokens"]
        assert c["reasoning_tokens"] is not None
    listed = CliRunner().invoke(app, ["calls", str(out), "--json"])
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == len(calls)


def test_migrations_apply_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "calls.sqlite", isolation_level=None)
    assert migrate(db) == [m.__name__ for m in MIGRATIONS]
    assert migrate(db) == []  # a second open applies nothing (an ALTER TABLE twice would fail)
    db.close()


def test_the_writer_commits_every_queued_row_on_close(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    req = LLMRequest("m", stage="answer", round=0, params={"max_tokens": 5})
    result = LLMResult("hi", "stop", {"prompt_tokens": 3, "completion_tokens": 1, "reasoning_tokens": 0}, "m",
                       sent_params={"max_completion_tokens": 5})
    for _ in range(500):
        log.record(req, result, None, 0.01)
    log.close()
    log.close()  # twice is fine
    rows = read_calls(tmp_path)
    assert len(rows) == 500 and json.loads(rows[0]["params"]) == {"max_completion_tokens": 5}
