"""The sim: OpenAI-compatible replies, every fault flag, capacity and overload, batch endpoints."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import httpx
import openai
import pytest

from evol.sim.launch import SimProcess
from evol.sim.offline import run_batch
from tests.llm.helpers import sim

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Write a function that adds two numbers."}],
        "max_tokens": 512}


async def post(url: str, body: dict = CHAT, path: str = "/chat/completions",
               headers: dict | None = None) -> tuple[int, dict, bytes]:
    async with aiohttp.ClientSession() as s, s.post(url + path, json=body, headers=headers or {}) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, await r.read()


def test_sdk_chat_and_completions_are_deterministic() -> None:
    async def main() -> None:
        async with sim() as (url, _):
            sdk = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
            a = await sdk.chat.completions.create(model="m", messages=CHAT["messages"])
            b = await sdk.chat.completions.create(model="m", messages=CHAT["messages"])
            c = await sdk.completions.create(model="m", prompt="def add(a, b):", max_tokens=8)
            models = await sdk.models.list()
            await sdk.close()
        assert a.choices[0].message.content == b.choices[0].message.content and a.usage.completion_tokens > 0
        assert c.choices[0].finish_reason == "length" and models.data[0].id == "evol-sim"

    asyncio.run(main())


@pytest.mark.parametrize("flag,status", [("p429", 429), ("p500", 500), ("p503", 503)])
def test_error_flags(flag: str, status: int) -> None:
    async def main() -> tuple[int, dict, bytes]:
        async with sim(**{flag: 1.0, "retry_after": 0.5}) as (url, _):
            return await post(url)

    got, headers, body = asyncio.run(main())
    assert got == status and json.loads(body)["error"]["message"]
    if status == 429:
        assert headers["retry-after-ms"] == "500" and headers["retry-after"] == "1"


def test_malformed_truncated_dropped_and_slow() -> None:
    async def main() -> None:
        async with sim(pmalformed=1.0) as (url, _):
            status, _, body = await post(url)
            assert status == 200
            with pytest.raises(json.JSONDecodeError):
                json.loads(body)
        async with sim(ptruncate=1.0) as (url, _):
            _, _, body = await post(url)
            assert json.loads(body)["choices"][0]["finish_reason"] == "length"
        async with sim(pdrop=1.0) as (url, state):
            with pytest.raises(aiohttp.ClientError):
                await post(url)
            assert state.counts["dropped"] == 1
        async with sim(latency=0.05, pslow=1.0) as (url, _):
            loop = asyncio.get_running_loop()
            started = loop.time()
            await post(url)
            assert loop.time() - started >= 0.45

    asyncio.run(main())


@pytest.mark.parametrize("overload", ["429", "503"])
def test_capacity_refuses_past_k(overload: str) -> None:
    async def main() -> list[int]:
        async with sim(latency=0.2, capacity=4, overload=overload) as (url, _):
            results = await asyncio.gather(*(post(url) for _ in range(10)))
        return sorted(r[0] for r in results)

    statuses = asyncio.run(main())
    assert statuses.count(200) == 4 and statuses.count(int(overload)) == 6


def test_capacity_queue_serves_everything_k_at_a_time() -> None:
    async def main() -> None:
        async with sim(latency=0.1, capacity=3) as (url, state):
            results = await asyncio.gather(*(post(url) for _ in range(9)))
            assert all(r[0] == 200 for r in results) and state.max_in_flight == 3

    asyncio.run(main())


def test_quota_and_key() -> None:
    async def main() -> None:
        async with sim(quota_after=1) as (url, _):
            assert (await post(url))[0] == 200
            status, _, body = await post(url)
            assert status == 429 and json.loads(body)["error"]["code"] == "insufficient_quota"
        async with sim(api_key="sk-good") as (url, _):
            assert (await post(url, headers={"Authorization": "Bearer sk-good"}))[0] == 200
            assert (await post(url, headers={"Authorization": "Bearer sk-bad"}))[0] == 401

    asyncio.run(main())


def test_batch_api_and_run_batch(tmp_path: Path) -> None:
    line = {"custom_id": "k1", "method": "POST", "url": "/v1/chat/completions", "body": CHAT}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(line) + "\n")
    assert run_batch(src, tmp_path / "out.jsonl") == 1
    local = json.loads((tmp_path / "out.jsonl").read_text())
    assert local["custom_id"] == "k1" and local["response"]["status_code"] == 200

    async def main() -> dict:
        async with sim() as (url, _):
            sdk = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
            uploaded = await sdk.files.create(file=src.open("rb"), purpose="batch")
            batch = await sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                             completion_window="24h")
            again = await sdk.batches.retrieve(batch.id)
            content = await sdk.files.content(again.output_file_id)
            await sdk.close()
            return json.loads(content.read())

    remote = asyncio.run(main())
    assert remote["response"]["body"]["choices"] == local["response"]["body"]["choices"]


def test_sim_process_takes_the_fault_flags() -> None:
    with SimProcess("--p429", "1", "--retry-after", "0.1", "--capacity", "2", "--overload", "503") as s:
        r = httpx.post(s.base_url + "/chat/completions", json=CHAT)
        assert r.status_code == 429 and r.headers["retry-after-ms"] == "100"
