"""`evol infer`: both input shapes, the training template, ids and order kept, resume after failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evol.errors import DataError
from evol.eval.backends import EndpointBackend, Sampling
from evol.eval.infer import infer
from evol.llm import LLMFailure
from evol.template import build_prompt
from tests.eval.helpers import FakeClient, write_samples


def backend(client: FakeClient, api: str = "completions") -> EndpointBackend:
    return EndpointBackend("http://test/v1", "m", api=api, client_factory=lambda: client, stage="infer")  # type: ignore[arg-type]


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_wizardcoder_and_plain_shapes(tmp_path: Path) -> None:
    src = write_samples(
        tmp_path / "in.jsonl",
        [
            {"idx": 7, "Instruction": "Add two numbers."},
            {"instruction": "Sort a list.", "input": "[3, 1]"},
            {"id": "x", "instruction": "Reverse."},
        ],
    )
    client = FakeClient(lambda req: f"answer to {req.prompt[-30:]!r}")
    stats = infer(src, tmp_path / "out.jsonl", backend(client), Sampling(), log=lambda _: None)
    rows = read(tmp_path / "out.jsonl")
    assert stats["written"] == 3 and [r["id"] for r in rows] == [7, 1, "x"]
    assert rows[0]["instruction"] == "Add two numbers." and rows[0]["usage"]["completion_tokens"] == 5
    prompts = {r.prompt for r in client.requests}
    assert build_prompt("Add two numbers.") in prompts and build_prompt("Sort a list.", "[3, 1]") in prompts
    assert all(r.params["temperature"] == 0.0 and r.api == "completions" for r in client.requests)
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_chat_api_sends_the_bare_instruction(tmp_path: Path) -> None:
    src = write_samples(tmp_path / "in.jsonl", [{"instruction": "Say hi."}])
    client = FakeClient(lambda req: "hi")
    infer(src, tmp_path / "out.jsonl", backend(client, "chat"), Sampling(), log=lambda _: None)
    assert client.requests[0].messages == [{"role": "user", "content": "Say hi."}]


def test_failures_are_retried_on_the_next_run(tmp_path: Path) -> None:
    src = write_samples(tmp_path / "in.jsonl", [{"instruction": f"task {i}"} for i in range(5)])
    flaky = FakeClient(lambda req: LLMFailure("timeout", "slow") if "task 3" in req.prompt else "ok")
    stats = infer(src, tmp_path / "out.jsonl", backend(flaky), Sampling(), log=lambda _: None)
    assert stats["failed"] == 1 and (tmp_path / "out.jsonl.partial").exists()
    healthy = FakeClient(lambda req: "fixed")
    stats = infer(src, tmp_path / "out.jsonl", backend(healthy), Sampling(), log=lambda _: None)
    assert stats == {"written": 5, "failed": 0, "reused": 4, "errors": []}
    assert len(healthy.requests) == 1
    assert [r["id"] for r in read(tmp_path / "out.jsonl")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "rows", [[{"prompt": "x"}], [{"instruction": ""}], [{"id": 1, "instruction": "a"}, {"id": 1, "instruction": "b"}]]
)
def test_bad_input(tmp_path: Path, rows: list[dict]) -> None:
    src = write_samples(tmp_path / "in.jsonl", rows)
    with pytest.raises(DataError):
        infer(src, tmp_path / "out.jsonl", backend(FakeClient(lambda r: "")), Sampling(), log=lambda _: None)
