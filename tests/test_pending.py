"""Items that failed for the endpoint are kept pending, never written off: exit 4, and the plain rerun
retries them into the same train.json as a clean run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evol.pipeline import run
from evol.round_pending import ItemsPending
from evol.sim.launch import SimProcess
from tests.helpers import REPO, demo_config

SMALL = {"limit": 16, "rounds": 1, "decontam.enabled": False, "endpoint.backoff_base": 0.01,
         "endpoint.model": "evol-sim", "endpoint.max_attempts": 2}


def small_run(out: Path, url: str, **extra: object) -> Path:
    run(demo_config(out, **{**SMALL, "endpoint.base_url": url, **extra}))
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """train.json of a run against a sim without faults."""
    with SimProcess() as sim:
        out = small_run(tmp_path_factory.mktemp("clean") / "run", sim.base_url)
    return (out / "train.json").read_bytes()


def cli(out: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`evol run` on 16 seeds, 1 round: the demo recipe as SMALL sets it (2 attempts, 10 ms backoff, no decontam)."""
    config = out.parent / "quick.toml"
    demo = (REPO / "pipelines/demo.toml").read_text()
    config.write_text(demo.replace("[endpoint]\n", "[endpoint]\nmax_attempts = 2\nbackoff_base = 0.01\n")
                      .replace("[decontam]\nenabled = true", "[decontam]\nenabled = false"))
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(config), "--out", str(out),
           "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--limit", "16", "--rounds", "1",
           "--base-url", url, "--model", "evol-sim"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)


def journal(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_call_failing_exits_4_naming_the_pending_items_and_the_rerun_finishes(
        tmp_path: Path, clean: bytes) -> None:
    out = tmp_path / "run"
    with SimProcess("--p500", "1.0") as broken:
        proc = cli(out, broken.base_url)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert len(errors) == 1 and "16 of 16 items pending" in errors[0] and "rerun the same command" in errors[0]
    assert "pending" in proc.stderr.split("error:")[0]  # the closing table's pending column
    assert not (out / "round-00" / "stats.json").exists()  # the round is not marked done
    pending = journal(out / "round-00" / "answered.jsonl")
    assert pending and all(r["status"] == "pending" and r["attempts"] >= 1 for r in pending)
    assert json.loads((out / "manifest.json").read_text())["pending"] == 16
    with SimProcess() as fixed:
        rerun = cli(out, fixed.base_url)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert (out / "train.json").read_bytes() == clean


def test_calls_failing_past_their_retries_come_back_on_the_rerun(tmp_path: Path, clean: bytes) -> None:
    out = tmp_path / "run"
    # each call tried once (max_attempts 1): 30% of the calls fail past their retries
    with SimProcess("--p500", "0.3", "--seed", "5") as flaky, pytest.raises(ItemsPending) as info:
        small_run(out, flaky.base_url, **{"endpoint.max_attempts": 1})
    assert 0 < len(info.value.pending) < 16 and info.value.round_no == 0
    records = journal(out / "round-00" / "answered.jsonl")
    assert {r["id"] for r in records if r["status"] == "pending"} == set(info.value.pending)
    assert not any(str(r.get("reason", "")).startswith("llm_error") for r in records if r["status"] != "pending")
    assert not (out / "round-00" / "stats.json").exists()
    with SimProcess() as fixed:
        small_run(out, fixed.base_url)
    assert (out / "train.json").read_bytes() == clean
