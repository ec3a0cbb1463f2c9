"""Parameter dialects: an endpoint's 400 naming a parameter changes what is sent to it, once, for the run."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import get_args

import pytest
from pydantic import ValidationError

from evol.config import Sampling
from evol.llm import EndpointConfig, LLMClient, LLMRequest, dialect
from evol.llm.dialect import Dialect
from evol.llm.types import CAP_NAMES, TokenParam
from evol.sim.dialect import REASONING_CAP, SimDialect, output_cap, refusal
from tests.llm.helpers import client, request, sim

MAX_TOKENS_400 = ("Unsupported parameter: 'max_tokens' is not supported with this model. "
                  "Use 'max_completion_tokens' instead.")
SCHEMA = {"type": "object", "properties": {"tests": {"type": "string"}}, "required": ["tests"]}


def test_the_output_cap_switches_once_on_auto() -> None:
    d = Dialect("u")
    req = request(0)
    sent = d.apply(req)
    assert sent.params["max_tokens"] == 512 and "max_completion_tokens" not in sent.params
    assert d.learn(sent, 400, MAX_TOKENS_400)
    again = d.apply(req)
    assert again.params["max_completion_tokens"] == 512 and "max_tokens" not in again.params
    assert req.params["max_tokens"] == 512  # the job's own request (and its cache key) is left alone
    assert not d.learn(again, 400, "Unsupported parameter: 'max_completion_tokens'")  # switches once only


def test_a_forced_token_param_never_switches() -> None:
    d = Dialect("u", "max_tokens")
    assert not d.learn(d.apply(request(0)), 400, MAX_TOKENS_400)
    assert Dialect("u", "max_completion_tokens").apply(request(0)).params["max_completion_tokens"] == 512


@pytest.mark.parametrize("status,message,learnt", [
    (400, "Unsupported value: 'temperature' does not support 0.7 with this model.", True),
    (400, "Unrecognized request argument supplied: top_p", True),
    (422, "extra_forbidden: top_p", True),
    (400, "temperature must be between 0 and 2", False),  # a bad value, not an unsupported parameter
    (500, "Unsupported parameter: 'top_p'", False),
    (400, "Unsupported parameter: 'seed'", False),  # not sent: nothing to learn
])
def test_unsupported_sampling_knobs_are_dropped(status: int, message: str, learnt: bool) -> None:
    d = Dialect("u")
    req = request(0, temperature=0.7, top_p=0.9)
    assert d.learn(d.apply(req), status, message) is learnt
    name = "temperature" if "temperature" in message else "top_p"
    assert (name not in d.apply(req).params) is learnt


def test_a_json_schema_goes_as_response_format_until_refused() -> None:
    d = Dialect("u")
    req = LLMRequest("m", "chat", messages=[{"role": "user", "content": "q"}], json_schema=SCHEMA)
    fmt = d.apply(req).params["response_format"]
    assert fmt == {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    assert d.learn(d.apply(req), 400, "response_format json_schema is not supported by this server")
    assert "response_format" not in d.apply(req).params
    assert req.cache_key() != LLMRequest("m", "chat", messages=req.messages).cache_key()


def test_a_reasoning_endpoint_is_learnt_once_and_remembered(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "evol.llm")

    async def main() -> None:
        async with sim(dialect=SimDialect("reasoning")) as (url, state):
            c = client(url, concurrency=8)
            results = await asyncio.gather(*(c.complete(request(i, temperature=0.7, top_p=0.95)) for i in range(30)))
            before = state.counts["bad_param"]
            more = [await c.complete(request(i, temperature=0.7)) for i in range(30, 35)]
            await c.aclose()
        assert all(r.text and r.usage["reasoning_tokens"] > 0 for r in results + more)
        assert before >= 3 and state.counts["bad_param"] == before  # learnt: no 400 after that
        assert c.ledger.totals()["errors"]["dialect"] == before and c.ledger.totals()["failures"] == 0
        assert c.snapshot()[0]["dialect"] == {"token_param": "max_completion_tokens",
                                              "dropped": ["temperature", "top_p"], "json_schema": True}

    asyncio.run(main())
    lessons = [r.getMessage() for r in caplog.records if "for the rest of the run" in r.getMessage()]
    assert len(lessons) == 3  # each lesson logged once, however many requests hit it


def test_forcing_max_completion_tokens_sends_no_request_in_vain() -> None:
    async def main() -> None:
        async with sim(dialect=SimDialect("reasoning")) as (url, state):
            c = LLMClient([EndpointConfig(url, token_param="max_completion_tokens")])
            result = await c.complete(request(0, temperature=1.0))
            await c.aclose()
        assert result.text and state.counts["bad_param"] == 0

    asyncio.run(main())


def test_reasoning_effort_is_passed_where_supported_and_dropped_where_not() -> None:
    async def main() -> tuple[int, int, int]:
        async with sim(dialect=SimDialect("reasoning")) as (url, _):
            c = LLMClient([EndpointConfig(url, token_param="max_completion_tokens")])
            low = await c.complete(request(0, temperature=1.0, reasoning_effort="low"))
            high = await c.complete(request(0, temperature=1.0, reasoning_effort="high"))
            await c.aclose()
        async with sim() as (url, state):  # a chat model: refuses reasoning_effort
            c = client(url)
            plain = await c.complete(request(0, reasoning_effort="high"))
            await c.aclose()
        assert plain.text and state.counts["bad_param"] == 1
        return low.usage["reasoning_tokens"], high.usage["reasoning_tokens"], plain.usage["reasoning_tokens"]

    low, high, plain = asyncio.run(main())
    assert 0 < low < high and plain == 0


@pytest.mark.parametrize("supported", [True, False])
def test_structured_output_where_supported_else_plain_text(supported: bool) -> None:
    async def main() -> None:
        async with sim(dialect=SimDialect(json_schema=supported)) as (url, state):
            c = client(url)
            results = []
            for i in range(3):
                req = request(i)
                req.json_schema = SCHEMA
                results.append(await c.complete(req))
            await c.aclose()
        assert state.counts["bad_param"] == (0 if supported else 1)  # detected once
        for r in results:
            assert r.structured is supported
            if supported:
                tests = json.loads(r.text)["tests"]
                assert "def " in tests and "```" not in tests  # the fenced block, unwrapped
            else:
                assert "```" in r.text

    asyncio.run(main())


def test_the_output_cap_names_are_one_table_the_config_client_and_sim_read() -> None:
    """`TokenParam` (evol.llm.types) lists the cap's names once: the config takes them, the sim reads them."""
    assert CAP_NAMES == get_args(TokenParam)[1:] == ("max_tokens", "max_completion_tokens")
    for name in get_args(TokenParam):
        assert Sampling(token_param=name).token_param == name
    with pytest.raises(ValidationError):
        Sampling(token_param="max_output_tokens")
    for cap in CAP_NAMES:
        assert output_cap({cap: 7}) == 7
        refused = refusal({cap: 7}, SimDialect("reasoning"))
        assert (refused is None) == (cap == REASONING_CAP)


def test_auto_tries_each_cap_name_once_in_table_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialect, "CAP_NAMES", ("max_tokens", "max_completion_tokens", "max_output_tokens"))
    d = Dialect("u")
    for name in dialect.CAP_NAMES:
        sent = d.apply(request(0))
        assert sent.params[name] == 512
        assert d.learn(sent, 400, f"Unsupported parameter: '{name}'") == (name != "max_output_tokens")
