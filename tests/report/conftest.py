"""Fixtures for the report tests: one small demo run per session, broken copies of it, and headless Chromium."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo pipeline (20 seeds, 3 rounds, offline simulator), run in-process once per session."""
    from evol.config import load_config
    from evol.pipeline import run

    out = tmp_path_factory.mktemp("runs") / "demo"
    cfg = load_config(REPO / "pipelines" / "demo.toml", {
        "out_dir": str(out.parent), "name": out.name, "limit": 20, "rounds": 3,
        "seeds.paths": [str(REPO / "data" / "seeds" / "code_seeds.jsonl")],
    })
    with pytest.MonkeyPatch.context() as mp:
        for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
            mp.delenv(var, raising=False)
        run(cfg, Console(file=io.StringIO()))
    return out


@pytest.fixture
def run_copy(demo_run: Path, tmp_path: Path) -> Path:
    """A private copy of the demo run that a test may break."""
    dest = tmp_path / "run"
    shutil.copytree(demo_run, dest, ignore=shutil.ignore_patterns("cache.sqlite*", "report.html", "export"))
    return dest


@pytest.fixture
def interrupted_run(run_copy: Path) -> Path:
    """Rounds 0 and 1 finished; round 2 started (journal only), round 3 never began; manifest says so."""
    shutil.rmtree(run_copy / "round-03")
    for name in ("kept.jsonl", "rejected.jsonl", "stats.json"):
        (run_copy / "round-02" / name).unlink()
    manifest = json.loads((run_copy / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (run_copy / "manifest.json").write_text(json.dumps(manifest))
    return run_copy


def _find_chromium() -> str | None:
    return next((p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)), None) or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing. Fails (never skips) when it cannot be had."""
    found = _find_chromium()
    if found:
        return found
    if not shutil.which("apt-get"):
        pytest.fail("chromium is missing and apt-get is not available to install it (need Debian's chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"])
    for cmd in steps:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"could not install chromium: {' '.join(cmd)} exited {done.returncode}\n{done.stderr[-2000:]}")
    found = _find_chromium()
    if not found:
        pytest.fail("apt-get installed chromium but no chromium binary was found")
    return found
