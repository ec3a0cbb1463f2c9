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


def test_dedup_and_decontam_show_a_bar_and_chunking_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    from evol.dedup import files

    rows = [{"instruction": f"Write a function number {i % 7} that sorts a list of numbers quickly."}
            for i in range(30)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    whole = CliRunner().invoke(app, ["dedup", str(src), str(tmp_path / "whole.jsonl")])
    monkeypatch.setattr(files, "CHUNK", 4)  # the bar advances per chunk; each chunk sees all kept before it
    chunked = CliRunner().invoke(app, ["dedup", str(src), str(tmp_path / "chunked.jsonl")])
    assert whole.exit_code == chunked.exit_code == 0, chunked.output
    assert "dedup" in chunked.output and "30/30" in chunked.output
    assert (tmp_path / "chunked.jsonl").read_text() == (tmp_path / "whole.jsonl").read_text()
    assert len((tmp_path / "whole.jsonl").read_text().splitlines()) == 7
    res = CliRunner().invoke(app, ["decontam", str(src), str(tmp_path / "clean.jsonl")])
    assert res.exit_code == 0, res.output
    assert "decontam" in res.output and "30/30" in res.output
