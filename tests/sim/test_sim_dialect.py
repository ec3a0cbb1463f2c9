"""The sim plays today's teachers: OpenAI reasoning models' 400s, thinking inline or in a field, JSON schemas."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import openai
import pytest

from evol.sim.dialect import SimDialect
from tests.llm.helpers import sim
from tests.sim.test_sim import CHAT, post

SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "t", "schema": {
    "type": "object", "properties": {"tests": {"type": "string"}}, "required": ["tests"]}}}


def _reply(dialect: SimDialect, body: dict) -> tuple[int, dict]:
    async def main() -> tuple[int, dict]:
        async with sim(dialect=dialect) as (url, _):
            status, _, raw = await post(url, body)
        return status, json.loads(raw)

    return asyncio.run(main())


@pytest.mark.parametrize("body,param", [
    (CHAT, "max_tokens"),
    ({**CHAT, "max_tokens": None, "max_completion_tokens": 64, "temperature": 0.7}, "temperature"),
    ({**CHAT, "max_tokens": None, "top_p": 0.95}, "top_p"),
])
def test_a_reasoning_model_refuses_what_openai_refuses(body: dict, param: str) -> None:
    status, reply = _reply(SimDialect("reasoning"), body)
    assert status == 400 and reply["error"]["param"] == param and f"'{param}'" in reply["error"]["message"]


def test_a_reasoning_model_counts_hidden_thinking() -> None:
    status, reply = _reply(SimDialect("reasoning"), {**CHAT, "max_tokens": None, "temperature": 1})
    usage = reply["usage"]
    assert status == 200 and "<think>" not in reply["choices"][0]["message"]["content"]
    assert 0 < usage["completion_tokens_details"]["reasoning_tokens"] < usage["completion_tokens"]


def test_thinking_inline_or_in_a_field() -> None:
    status, inline = _reply(SimDialect("chat", "inline"), CHAT)
    assert status == 200 and inline["choices"][0]["message"]["content"].startswith("<think>\n")
    assert "</think>\n\n" in inline["choices"][0]["message"]["content"]
    status, field = _reply(SimDialect("chat", "field"), CHAT)
    message = field["choices"][0]["message"]
    assert status == 200 and message["reasoning_content"] and "<think>" not in message["content"]
    _, cut = _reply(SimDialect("chat", "field"), {**CHAT, "max_tokens": 4})  # cut while thinking
    assert cut["choices"][0]["message"]["content"] is None and cut["choices"][0]["finish_reason"] == "length"


def test_response_format_is_honoured_or_refused() -> None:
    status, reply = _reply(SimDialect(json_schema=True), {**CHAT, "response_format": SCHEMA_FORMAT})
    assert status == 200 and "def " in json.loads(reply["choices"][0]["message"]["content"])["tests"]
    status, reply = _reply(SimDialect(), {**CHAT, "response_format": SCHEMA_FORMAT})
    assert status == 400 and reply["error"]["param"] == "response_format"


def test_the_openai_sdk_reads_the_reasoning_field() -> None:
    async def main() -> str | None:
        async with sim(dialect=SimDialect("reasoning", "field")) as (url, _):
            sdk = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
            reply = await sdk.chat.completions.create(model="m", messages=CHAT["messages"], max_completion_tokens=512)
            await sdk.close()
        return reply.model_dump()["choices"][0]["message"].get("reasoning_content")

    assert asyncio.run(main())


def test_sim_flags_are_checked() -> None:
    bad = subprocess.run([sys.executable, "-m", "evol", "sim", "--port", "0", "--think", "loud"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--think" in bad.stderr
