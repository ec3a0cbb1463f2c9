"""The built wheel is enough to run evol: prompts, recipes and demo seeds ship inside it.

The wheel is built from a copy of the sources (setup.py's build step bundles prompts/, pipelines/ and
data/seeds/), installed into a fresh venv outside the repository, and `evol run --config demo` runs offline
(the built-in simulator) from an empty folder. The fresh venv has no pip and downloads nothing: it sees the
test interpreter's site-packages through a .pth file for evol's dependencies only.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "evol", "prompts", "pipelines", "data/seeds")


def _copy_sources(dest: Path) -> Path:
    """The files a build reads, copied, so the build writes nothing into the repository."""
    for name in SOURCES:
        src, dst = REPO / name, dest / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return dest


def _build_wheel(src: Path, out: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
           "-w", str(out), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = out.glob("evol-*.whl")
    return wheel


def _clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH (a checkout on it would shadow the installed wheel) or endpoints."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_BASE_URL", "OPENAI_API_KEY")}


def _fresh_venv(where: Path, wheel: Path) -> Path:
    """A venv with the wheel installed (no deps); the test interpreter's packages are visible after it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
               str(wheel)]
    done = subprocess.run(install, capture_output=True, text=True, timeout=120, env=_clean_env())
    assert done.returncode == 0, done.stderr[-3000:]
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # Appended after the venv's own site-packages, so the wheel's evol is found first; .pth files in the
    # shared folder (an editable evol among them) are not processed.
    Path(purelib, "_shared_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def test_the_wheel_runs_the_demo_from_another_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(_copy_sources(tmp_path / "src"), tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("evol/_bundled/prompts/answer.txt", "evol/_bundled/prompts/methods/code/complexity.txt",
                    "evol/_bundled/pipelines/demo.toml", "evol/_bundled/data/seeds/code_seeds.jsonl"):
        assert shipped in names

    python = _fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env()
    where = subprocess.run([str(python), "-c", "import evol.prompts as p; print(p.__file__, p.DEFAULT_PROMPTS_DIR)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=60)
    assert where.returncode == 0, where.stderr[-3000:]
    module, prompts_dir = where.stdout.split()
    assert module.startswith(str(tmp_path / "venv")) and prompts_dir.startswith(str(tmp_path / "venv"))

    cmd = [str(tmp_path / "venv" / "bin" / "evol"), "run", "--config", "demo", "--rounds", "1", "--limit", "6",
           "--out", "runs/wheel"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=elsewhere, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = elsewhere / "runs" / "wheel"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["simulated"] is True
    rows = json.loads((run_dir / "train.json").read_text())
    assert len(rows) >= 6 and all(r["instruction"] and r["output"] for r in rows)
    assert not (elsewhere / "data").exists()  # the run wrote only under --out; the seeds came from the wheel


def test_recipes_and_seeds_resolve_to_the_shipped_files_from_any_folder(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from evol.resources import recipe, seed_path, shipped

    monkeypatch.chdir(tmp_path)
    assert recipe("demo") == shipped("pipelines/demo.toml") and recipe("demo").is_file()
    assert recipe("pipelines/wizardcoder.toml") == shipped("pipelines/wizardcoder.toml")
    assert recipe("nope") == Path("nope")  # left for the loader to report as missing
    assert seed_path("data/seeds/code_seeds.jsonl") == str(shipped("data/seeds/code_seeds.jsonl"))
    assert seed_path("hf:owner/name") == "hf:owner/name" and seed_path("mine.jsonl") == "mine.jsonl"
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "demo.toml").write_text("name = 'mine'\n")
    assert recipe("pipelines/demo.toml") == Path("pipelines/demo.toml")  # a file here wins
