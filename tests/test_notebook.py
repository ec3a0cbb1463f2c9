"""evol.run from a notebook: inside a running event loop (as Jupyter's kernel has), and in a real kernel."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

import evol
from tests.helpers import REPO

ARGS = {"rounds": 1, "limit": 4, "quiet": True}


def test_evol_run_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    async def cell() -> evol.Run:
        asyncio.get_running_loop()  # as in a notebook cell: a loop is running while the cell runs
        return evol.run("demo", out=tmp_path / "run", seeds=str(REPO / "data/seeds/code_seeds.jsonl"), **ARGS)

    result = asyncio.run(cell())
    assert result.kept and json.loads((tmp_path / "run" / "train.json").read_text())


def test_evol_run_works_in_a_jupyter_kernel(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    out = tmp_path / "run"
    source = (f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
              "import evol\n"
              f"result = evol.run('demo', out={str(out)!r}, seeds={str(REPO / 'data/seeds/code_seeds.jsonl')!r}, "
              "rounds=1, limit=4, quiet=True)\n"
              "print('rows', len(result.kept))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in notebook.cells[0].outputs if o.get("output_type") == "stream")
    assert "rows " in text and int(text.split("rows ")[1].split()[0]) > 0, (notebook.cells[0].outputs, sys.executable)
