"""Fixtures for the report tests: one small demo run per session, broken copies of it, and headless Chromium."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from tests.sysdeps import require

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


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium. Fails (never skips) when it is missing, naming `make test-deps`."""
    return require("chromium", (*CHROMIUM_CANDIDATES, "chromium"))
