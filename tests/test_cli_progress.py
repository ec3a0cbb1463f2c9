"""`evol infer` shows a progress bar and spreads its requests over every --base-url given."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
from rich.console import Console
from typer.testing import CliRunner

from evol.cli import app
from evol.commands.bars import ProgressBackend
from evol.sim.launch import SimProcess


class Echo:
    name = "echo"

    def generate(self, requests: list[str], sampling: object, on_result: object) -> None:
        for r in requests:
            on_result(r)  # type: ignore[operator]


def test_the_bar_counts_every_result_and_passes_it_on() -> None:
    out = io.StringIO()
    seen: list[str] = []
    ProgressBackend(Echo(), "infer", Console(file=out, width=120)).generate(["a", "b", "c"], None, seen.append)
    assert seen == ["a", "b", "c"] and "infer" in out.getvalue() and "3/3" in out.getvalue()


def test_infer_over_two_replicas(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"instruction": f"Write function {i}."}) + "\n" for i in range(40)))
    with SimProcess("--latency", "0.02") as a, SimProcess("--latency", "0.02") as b:
        res = CliRunner().invoke(app, ["infer", str(src), str(tmp_path / "out.jsonl"), "--model", "evol-sim",
                                       "--base-url", a.base_url, "--base-url", b.base_url, "--concurrency", "4"])
        served = [httpx.get(s.base_url.removesuffix("/v1") + "/stats").json()["counts"].get("ok", 0) for s in (a, b)]
    assert res.exit_code == 0, res.output
    assert sum(served) == 40 and min(served) > 0, served
    assert "40/40" in res.output
