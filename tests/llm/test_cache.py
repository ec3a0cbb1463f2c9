"""Cache keys (any change is a miss), the SQLite cache, and `evol cache stats|clear`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.llm import LLMRequest
from evol.llm.cache import ResponseCache

BASE = LLMRequest("gpt-x", "chat", messages=[{"role": "user", "content": "hi"}],
                  params={"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048, "seed": 1, "stop": ["\n\n"],
                          "extra_body": {"top_k": 20, "min_p": 0.05}}, sample_index=0, stage="answer", round=1)


def variant(change: str) -> LLMRequest:
    req = copy.deepcopy(BASE)
    if change == "model":
        req.model = "gpt-y"
    elif change == "api":
        req.api = "completions"
    elif change == "messages":
        req.messages = [{"role": "user", "content": "hi!"}]
    elif change == "role":
        req.messages = [{"role": "system", "content": "hi"}]
    elif change == "prompt":
        req.prompt = "hi"
    elif change == "sample_index":
        req.sample_index = 1
    elif change.startswith("extra_body."):
        req.params["extra_body"][change.split(".", 1)[1]] = 0.5
    elif change == "new_param":
        req.params["presence_penalty"] = 0.1
    else:
        req.params[change] = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 1024, "seed": 2,
                              "stop": ["###"]}[change]
    return req


@pytest.mark.parametrize("change", ["model", "api", "messages", "role", "prompt", "sample_index", "temperature",
                                    "top_p", "max_tokens", "seed", "stop", "extra_body.top_k", "extra_body.min_p",
                                    "extra_body.repetition_penalty", "new_param"])
def test_any_parameter_change_is_a_miss(change: str) -> None:
    assert variant(change).cache_key() != BASE.cache_key()


def test_key_ignores_bookkeeping_and_param_order() -> None:
    same = copy.deepcopy(BASE)
    same.stage, same.round = "evolve", 7
    same.params = dict(reversed(list(same.params.items())))
    assert same.cache_key() == BASE.cache_key()


def test_key_is_never_derived_from_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-one")
    one = BASE.cache_key()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-two")
    assert BASE.cache_key() == one


def test_cache_round_trip_stats_and_clear(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k1", {"text": "a", "finish_reason": "stop", "usage": {}, "model": "m"}, model="m", stage="answer")
    cache.put("k2", {"text": "b", "finish_reason": "stop", "usage": {}, "model": "m"}, model="m", stage="evolve")
    assert cache.get("k1")["text"] == "a" and cache.get("nope") is None and cache.has("k2")
    stats = cache.stats()
    assert stats["entries"] == 2 and stats["by_stage"] == {"answer": 1, "evolve": 1} and stats["bytes"] > 0
    assert cache.clear() == 2 and cache.get("k1") is None
    cache.close()


def test_cache_commands(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cache.put("k1", {"text": "a", "finish_reason": "stop", "usage": {}, "model": "m"}, stage="answer")
    cache.close()
    runner = CliRunner()
    out = runner.invoke(app, ["cache", "stats", str(tmp_path)])
    assert out.exit_code == 0 and '"entries": 1' in out.output
    out = runner.invoke(app, ["cache", "clear", str(tmp_path)])
    assert out.exit_code == 0 and "removed 1" in out.output
    out = runner.invoke(app, ["cache", "stats", str(tmp_path / "missing")])
    assert out.exit_code != 0


def test_cache_commands_refuse_what_is_no_response_cache(tmp_path: Path) -> None:
    """A JSONL file, or another SQLite file (the calls log): one line, exit 3, and the file is left as it was."""
    import sqlite3

    (tmp_path / "s.jsonl").write_text('{"a": 1}\n')
    with sqlite3.connect(tmp_path / "calls.sqlite") as db:
        db.execute("CREATE TABLE calls (id INTEGER)")
    before = (tmp_path / "calls.sqlite").read_bytes()
    runner = CliRunner()
    for command in ("stats", "clear"):
        for target, says in (("s.jsonl", "not a response cache (file is not a database)"),
                             ("calls.sqlite", "without its `responses` table")):
            out = runner.invoke(app, ["cache", command, str(tmp_path / target)])
            assert out.exit_code == 3 and says in out.output, out.output
    assert (tmp_path / "calls.sqlite").read_bytes() == before
