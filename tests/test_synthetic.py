"""Simulator data is always marked SYNTHETIC, however the simulator is reached; the model name is checked
against what the endpoint lists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from evol.report.card import build_card
from evol.report.rundata import load_run
from evol.sim.launch import SimProcess
from evol.sim.mark import SYNTHETIC_HEADER
from tests.fake_endpoint import serving
from tests.helpers import REPO
from tests.test_cli_one_line import one_line


def evol(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evol", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300, env={**os.environ})


def run_args(out: Path, url: str, model: str = "evol-sim") -> list[str]:
    return ["run", "--config", str(REPO / "pipelines/demo.toml"), "--out", str(out), "--limit", "3", "--rounds", "0",
            "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--base-url", url, "--model", model]


def test_the_sim_marks_its_models_and_every_reply() -> None:
    with SimProcess("--p500", "1.0") as sim:
        models = httpx.get(sim.base_url + "/models", timeout=10)
        failed = httpx.post(sim.base_url + "/chat/completions", timeout=10,
                            json={"model": "evol-sim", "messages": [{"role": "user", "content": "hi"}]})
    assert all(m["synthetic"] is True for m in models.json()["data"])
    assert models.headers[SYNTHETIC_HEADER] == "true" and failed.headers[SYNTHETIC_HEADER] == "true"
    assert failed.status_code == 500


@pytest.fixture(scope="module")
def by_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A run against the sim reached by --base-url, under a model name the sim does not list."""
    out = tmp_path_factory.mktemp("synthetic") / "run"
    with SimProcess() as sim:
        done = evol(*run_args(out, sim.base_url, model="gpt-4o-mini"))
    assert done.returncode == 0, done.stderr[-2000:]
    return out, done


def test_a_sim_reached_by_url_is_recorded_and_shown_as_synthetic(
        by_url: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, done = by_url
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["simulated"] is False
    assert "SYNTHETIC" in done.stderr  # the banner and the closing line
    stats = evol("stats", str(out))
    assert stats.returncode == 0 and "SYNTHETIC" in stats.stdout
    run = load_run(out)
    assert "SYNTHETIC, NOT FOR TRAINING" in build_card(run, [], include_seeds=True)


def test_an_unlisted_model_is_a_warning_naming_the_listed_ones(
        by_url: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, done = by_url
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert any("'gpt-4o-mini'" in w and "it lists: evol-sim" in w for w in warnings), done.stderr[-2000:]


def test_a_model_not_found_reply_stops_the_run_with_the_listed_models(tmp_path: Path) -> None:
    body = {"error": {"message": "The model `gpt-4o-mini` does not exist", "code": "model_not_found"}}
    with serving(404, body, models=["llama-3-8b", "qwen-2.5-coder"]) as url:
        done = evol(*run_args(tmp_path / "run", url, model="gpt-4o-mini"))
    line = one_line(done, 4)
    assert "no model named by endpoint.model" in line and "llama-3-8b, qwen-2.5-coder" in line
