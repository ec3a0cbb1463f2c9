"""The real generation paths: the offline simulator over HTTP, and local HF generation from a tiny checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.eval.backends import GenRequest, GenResult, Sampling
from evol.eval.hf_backend import HFBackend
from evol.sim.launch import SimProcess
from tests.eval.helpers import write_samples

runner = CliRunner()


@pytest.fixture(scope="module")
def sim() -> SimProcess:
    with SimProcess() as proc:
        yield proc


def test_eval_through_the_simulator(sim: SimProcess, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["eval", "humaneval", "--base-url", sim.base_url, "--model", "evol-sim", "--limit", "3", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["problems"] == 3 and summary["pass@1"] == 0.0
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert all("```" in s["raw"] and "```" not in s["completion"] for s in samples)
    assert (out / "llm_cache.sqlite").exists()


def test_infer_through_the_simulator(sim: SimProcess, tmp_path: Path) -> None:
    src = write_samples(tmp_path / "in.jsonl", [{"idx": i, "Instruction": f"Write a function {i}."} for i in range(4)])
    res = runner.invoke(
        app, ["infer", str(src), str(tmp_path / "out.jsonl"), "--base-url", sim.base_url, "--model", "evol-sim"]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [0, 1, 2, 3] and all(r["response"] and r["usage"] for r in rows)


def test_hf_backend_generates_locally(tiny_checkpoint: Path) -> None:
    got: list[GenResult] = []
    reqs = [GenRequest("a", "Add two numbers."), GenRequest("b", "Reverse a string.", sample_index=1)]
    HFBackend(tiny_checkpoint, batch_size=2).generate(reqs, Sampling(max_tokens=6), got.append)
    assert [g.key for g in got] == ["a", "b"] and all(g.finish_reason in ("stop", "length") for g in got)
    assert all(0 < g.usage["completion_tokens"] <= 6 and g.usage["prompt_tokens"] > 10 for g in got)
    sampled: list[GenResult] = []
    HFBackend(tiny_checkpoint).generate(
        reqs, Sampling(temperature=0.8, top_p=0.95, max_tokens=4, seed=1), sampled.append
    )
    assert len(sampled) == 2


def test_eval_with_hf_backend(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "eval",
            "humaneval",
            "--backend",
            "hf",
            "--model",
            str(tiny_checkpoint),
            "--limit",
            "2",
            "--max-tokens",
            "8",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["backend"] == "hf" and summary["pass@1"] == 0.0


def test_hf_backend_needs_a_local_folder(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["eval", "humaneval", "--backend", "hf", "--model", "bigcode/starcoder", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 2 and "local checkpoint folder" in res.output
