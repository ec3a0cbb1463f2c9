"""The README as a newcomer runs it: its shell and Python blocks in order, each after the one before.

The blocks run in a copy of the files they read (Makefile, recipes, seeds), against the simulator: its URL
replaces the real endpoints' (the only change to a command). `make` installs nothing here: the copy's
install stamps are made current and BIN points at this interpreter's folder. A block whose first line is
`# needs: ...` (a GPU, the whole suite) is not run; every other one is, and the counts are asserted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evol.sim.launch import SimProcess
from tests.helpers import REPO

FENCE = re.compile(r"^```(bash|python)\n(.*?)^```", re.M | re.S)
MARK = "# needs:"
REAL_URLS = ("https://api.openai.com/v1", "http://localhost:8000/v1")
COPIED = ("Makefile", "pyproject.toml", "requirements", "scripts", "pipelines", "prompts", "data/seeds")
RUN = 4  # blocks run: quick start, the OpenAI run, the vLLM run, Python
MARKED = 3  # vLLM's server, fine-tuning, the whole suite
RUN_FOLDERS = ("demo", "openai", "vllm", "nb")  # what the run blocks make, in data/runs/


def readme_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every bash and python block, in order."""
    return [(m[1], m[2]) for m in FENCE.finditer(text)]


def runnable(blocks: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The blocks to run, and the first lines of those marked `# needs:`."""
    run, marked = [], []
    for lang, body in blocks:
        first = body.lstrip().splitlines()[0] if body.strip() else ""
        (marked.append(first) if first.startswith(MARK) else run.append((lang, body)))
    return run, marked


def script(blocks: list[tuple[str, str]], url: str) -> str:
    """One bash script: the blocks in order (Python ones through this interpreter), real URLs -> `url`."""
    parts = ["set -euo pipefail"]
    for n, (lang, body) in enumerate(blocks):
        for real in REAL_URLS:
            body = body.replace(real, url)
        parts.append(f"echo '== block {n}'")
        parts.append(body if lang == "bash" else f'"$README_PYTHON" - <<\'PY\'\n{body}PY')
    return "\n".join(parts) + "\necho '== all blocks ran'\n"


def sandbox_copy(dest: Path) -> Path:
    """The files the README's commands read, with installs already done (stamps newer than the locks)."""
    for name in COPIED:
        src, dst = REPO / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    for stamp in (".uv/bin/uv", *(f".venv/.installed-{g.stem}" for g in (REPO / "requirements").glob("*.txt"))):
        (dest / stamp).parent.mkdir(parents=True, exist_ok=True)
        (dest / stamp).touch()
    return dest


def test_marked_blocks_are_the_only_ones_skipped() -> None:
    run, marked = runnable(readme_blocks((REPO / "README.md").read_text()))
    assert (len(run), len(marked)) == (RUN, MARKED), (len(run), marked)


@pytest.mark.slow
def test_the_readme_runs_in_order_against_the_simulator(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    assert (bindir / "evol").exists(), "evol is not installed in the test interpreter's venv: make install"
    run, _ = runnable(readme_blocks((REPO / "README.md").read_text()))
    work = sandbox_copy(tmp_path / "newcomer")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MAKEFLAGS")}
    env.update(PYTHONPATH=str(REPO), README_PYTHON=sys.executable, MAKEFLAGS=f"BIN={bindir}")
    with SimProcess() as sim:
        (tmp_path / "readme.sh").write_text(script(run, sim.base_url))
        done = subprocess.run(["bash", str(tmp_path / "readme.sh")], cwd=work, env=env, capture_output=True,
                              text=True, timeout=900)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert [f"== block {n}" in out for n in range(RUN)] == [True] * RUN and "== all blocks ran" in out
    for name in RUN_FOLDERS:
        rows = json.loads((work / "data/runs" / name / "train.json").read_text())
        assert rows, name
    assert (work / "data/runs/demo/report.html").stat().st_size > 0
    assert "different config" not in out
