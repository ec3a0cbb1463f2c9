"""Thinking never becomes data: every way a teacher shows it is split off, counted, and kept apart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evol.errors import ConfigError
from evol.llm import LLMFailure, LLMRequest, LLMResult
from evol.llm.fatal import RunStopped
from evol.llm.reasoning import split_reasoning
from evol.llm.retry import MalformedReply
from evol.llm.transport import parse_result
from evol.plan.estimate import EFFORT_TOKENS, Assumptions, estimate
from evol.sim.dialect import SimDialect
from tests.helpers import demo_config
from tests.llm.helpers import client, request, sim


@pytest.mark.parametrize("content,text,reasoning", [
    ("<think>\nplan it\n</think>\n\nThe answer.", "The answer.", "plan it"),
    ("  <THINKING>plan</THINKING>answer", "answer", "plan"),
    ("<reasoning>a\nb</reasoning>\n```python\nx = 1\n```", "```python\nx = 1\n```", "a\nb"),
    ("<thought>t</thought> done", "done", "t"),
    ("<think>cut while thinking about the", "", "cut while thinking about the"),  # unclosed: all thinking
    ("the template opened it</think>\n\nanswer", "answer", "the template opened it"),
    ("<think>\n\n</think>\n\nanswer", "answer", None),  # Qwen3 with thinking off: an empty block
    ("plain answer", "plain answer", None),
    ("Use <think> tags like <think>x</think> in prompts", "Use <think> tags like <think>x</think> in prompts", None),
])
def test_thinking_is_split_from_the_content(content: str, text: str, reasoning: str | None) -> None:
    assert split_reasoning(content) == (text, reasoning)


@pytest.mark.parametrize("name", ["reasoning_content", "reasoning"])
def test_reasoning_fields_are_read(name: str) -> None:
    assert split_reasoning("answer", {name: "  thought  "}) == ("answer", "thought")
    assert split_reasoning("<think>b</think>answer", {name: "a"}) == ("answer", "a\n\nb")


def test_a_reply_body_with_reasoning_fields_and_token_details() -> None:
    req = LLMRequest("m", "chat", messages=[{"role": "user", "content": "q"}])
    body = {"choices": [{"index": 0, "finish_reason": "length",
                         "message": {"role": "assistant", "content": None, "reasoning_content": "long thought"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 50,
                      "completion_tokens_details": {"reasoning_tokens": 50}}}
    result = parse_result(body, req)
    assert result.text == "" and result.reasoning == "long thought" and result.usage["reasoning_tokens"] == 50


def test_inline_thinking_without_token_details_is_estimated_within_the_completion() -> None:
    req = LLMRequest("m", "chat", messages=[{"role": "user", "content": "q"}])
    body = {"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "<think>" + "x" * 400 +
                                                                          "</think>ok"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 60}}
    result = parse_result(body, req)
    assert result.text == "ok" and result.usage["reasoning_tokens"] == 60  # 100 by length, capped at completion


@pytest.mark.parametrize("think,transport", [("inline", "aiohttp"), ("field", "aiohttp"), ("field", "openai-httpx")])
def test_the_client_returns_text_without_thinking(think: str, transport: str) -> None:
    async def main() -> None:
        async with sim(dialect=SimDialect("reasoning", think)) as (url, _):  # type: ignore[arg-type]
            c = client(url, transport=transport)
            result = await c.complete(request(1, temperature=1.0))
            again = await c.complete(request(1, temperature=1.0))  # shared or cached: same split
            await c.aclose()
        for r in (result, again):
            assert "<think>" not in r.text and "Step 1" not in r.text and "def " in r.text
            assert r.reasoning and "Step 1" in r.reasoning
        assert c.ledger.totals()["reasoning_tokens"] > 0
        assert c.ledger.totals()["completion_tokens"] > c.ledger.totals()["reasoning_tokens"]

    asyncio.run(main())


def test_a_reply_that_is_only_thinking_fails_as_truncated() -> None:
    async def main() -> None:
        async with sim(dialect=SimDialect("chat", "field")) as (url, _):
            c = client(url)
            assert (await c.complete(request(0))).text  # a success first: later failures are the item's own
            with pytest.raises(LLMFailure) as info:
                await c.complete(request(1, max_tokens=5))
            await c.aclose()
        assert info.value.kind == "truncated"
        assert c.ledger.totals()["calls"] == 2 and c.ledger.totals()["failures"] == 1  # paid, and failed

    asyncio.run(main())


def test_a_run_whose_every_reply_is_only_thinking_stops_with_the_fix() -> None:
    async def main() -> None:
        async with sim(dialect=SimDialect("chat", "inline")) as (url, _):
            c = client(url)
            outcomes = await asyncio.gather(*(c.complete(request(i, max_tokens=5)) for i in range(4)),
                                            return_exceptions=True)
            await c.aclose()
        assert all(isinstance(o, RunStopped) for o in outcomes), outcomes
        assert "raise sampling.max_tokens" in str(outcomes[0])

    asyncio.run(main())


def test_a_reply_cached_before_the_split_is_split_when_read() -> None:
    old = {"text": "<think>plan</think>\n\nanswer", "finish_reason": "stop", "usage": {}, "model": "m"}
    result = LLMResult.from_cache(old)
    assert (result.text, result.reasoning) == ("answer", "plan")
    again = LLMResult.from_cache(result.to_cache())
    assert (again.text, again.reasoning) == ("answer", "plan")


def test_the_estimate_counts_thinking_within_the_completion_tokens(tmp_path: Path) -> None:
    plain = estimate(demo_config(tmp_path / "a", limit=10, rounds=1))
    high = estimate(demo_config(tmp_path / "b", limit=10, rounds=1, **{"sampling.reasoning_effort": "medium"}))
    assert plain["total"]["reasoning_tokens"] == 0
    calls = high["total"]["calls"]
    assert high["total"]["reasoning_tokens"] == pytest.approx(calls * EFFORT_TOKENS["medium"], rel=0.05)
    assert high["total"]["completion_tokens"] == pytest.approx(
        plain["total"]["completion_tokens"] + high["total"]["reasoning_tokens"], abs=3)
    fixed = estimate(demo_config(tmp_path / "c", limit=10, rounds=1), Assumptions(reasoning_tokens=100))
    assert fixed["total"]["reasoning_tokens"] == pytest.approx(100 * calls, rel=0.05)
    capped = estimate(demo_config(tmp_path / "d", limit=10, rounds=1, **{"sampling.max_tokens": 500}),
                      Assumptions(reasoning_tokens=10_000))
    assert capped["total"]["reasoning_tokens"] == pytest.approx(500 * calls, rel=0.05)


@pytest.mark.parametrize("body", [
    {"choices": [{"message": "not an object"}]},
    {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": "many"}},
    {"choices": [{"message": {"content": "x"}}], "usage": {"completion_tokens_details": {"reasoning_tokens": "lots"}}},
])
def test_a_reply_of_the_wrong_shape_is_malformed_not_a_crash(body: dict) -> None:
    with pytest.raises(MalformedReply):
        parse_result(body, LLMRequest("m", "chat", messages=[{"role": "user", "content": "q"}]))


def test_reasoning_keep_is_a_config_section(tmp_path: Path) -> None:
    assert demo_config(tmp_path / "a").reasoning.keep is False
    assert demo_config(tmp_path / "b", **{"reasoning.keep": True}).reasoning.keep is True
    with pytest.raises(ConfigError, match="reasoning.store: unknown key"):
        demo_config(tmp_path / "c", **{"reasoning.store": True})
