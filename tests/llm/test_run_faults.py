"""Whole runs through `evol run` against a faulty sim: nothing lost, the same data, no key anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evol.errors import EndpointError
from evol.pipeline import run
from evol.sim.launch import SimProcess
from tests.helpers import demo_config

SMALL = {"limit": 16, "rounds": 1, "decontam.enabled": False, "endpoint.backoff_base": 0.02,
         "endpoint.model": "evol-sim"}
SECRET = "sk-test-SECRET123"


def small_run(out: Path, url: str, **extra: object) -> Path:
    run(demo_config(out, **{**SMALL, "endpoint.base_url": url, **extra}))
    return out


def endpoint_error(exc: BaseException) -> EndpointError | None:
    """The EndpointError, raised bare or inside an exception group (from the round's task group)."""
    if isinstance(exc, EndpointError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        if (found := endpoint_error(inner)) is not None:
            return found
    return None


def test_faults_lose_nothing_and_change_nothing(tmp_path: Path) -> None:
    with SimProcess() as clean:
        small_run(tmp_path / "clean", clean.base_url)
    faults = ("--p429", "0.05", "--p500", "0.02", "--pdrop", "0.01", "--pmalformed", "0.01", "--seed", "3")
    with SimProcess(*faults) as faulty:
        small_run(tmp_path / "faulty", faulty.base_url)
    a, b = (tmp_path / "clean" / "train.json").read_bytes(), (tmp_path / "faulty" / "train.json").read_bytes()
    assert a == b and len(a) > 100


def test_quota_stop_keeps_the_work_and_the_resume_finishes_it(tmp_path: Path) -> None:
    with SimProcess() as clean:
        small_run(tmp_path / "clean", clean.base_url)
    with SimProcess("--quota-after", "20") as broke, pytest.raises(BaseException) as info:
        small_run(tmp_path / "run", broke.base_url)
    err = endpoint_error(info.value)
    assert err is not None and "insufficient_quota" in str(err) and "resume" in str(err)
    manifest = (tmp_path / "run" / "manifest.json").read_text()
    assert '"interrupted"' in manifest
    answered = (tmp_path / "run" / "round-00" / "answered.jsonl").read_text().splitlines()
    assert len(answered) == 16  # round 0 was finished and kept
    with SimProcess() as again:
        small_run(tmp_path / "run", again.base_url)
    assert (tmp_path / "run" / "train.json").read_bytes() == (tmp_path / "clean" / "train.json").read_bytes()


def _evol_run(out: Path, url: str, key: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(Path(__file__).parents[2] / "pipelines/demo.toml"),
           "--out", str(out), "--base-url", url, "--model", "evol-sim", "--limit", "6", "--rounds", "1",
           "--seeds", str(Path(__file__).parents[2] / "data/seeds/code_seeds.jsonl")]
    env = {**os.environ, "OPENAI_API_KEY": key, "OPENAI_LOG": "debug"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_the_api_key_is_in_no_artifact_and_no_log(tmp_path: Path) -> None:
    with SimProcess("--require-key", SECRET) as good:
        ok = _evol_run(tmp_path / "ok", good.base_url, SECRET)
    assert ok.returncode == 0, ok.stderr[-2000:]
    with SimProcess("--require-key", "sk-another-key") as strict:  # 401, and the sim echoes the key it got
        refused = _evol_run(tmp_path / "refused", strict.base_url, SECRET)
    assert refused.returncode != 0 and "401" in refused.stdout + refused.stderr
    for proc in (ok, refused):
        assert SECRET not in proc.stdout + proc.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
