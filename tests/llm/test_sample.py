"""k answers to one prompt: one request with n = k where the endpoint takes n, else k requests with their own
seeds; the dialect learns which from the endpoint's 400."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evol.llm import LLMRequest
from evol.llm.sample import sample
from evol.sim.dialect import SimDialect
from tests.llm.helpers import client, sim

PROMPT = "Write a Python function `solve(xs)` that returns the running maximum of a list of integers."


def make(i: int) -> LLMRequest:
    params = {"temperature": 1.0, "max_tokens": 512, **({"seed": i} if i else {})}
    return LLMRequest("m", "chat", messages=[{"role": "user", "content": PROMPT}], params=params, stage="answer",
                      sample_index=i)


def answers(dialect: SimDialect, k: int, cache: Path) -> tuple[list[str], int, list[dict]]:
    async def main() -> tuple[list[str], int, list[dict]]:
        async with sim(dialect=dialect) as (url, state):
            llm = client(url, cache_path=cache)
            try:
                got = await sample(llm.complete, make, k)
            finally:
                await llm.aclose()
            return [r.text for r in got], state.counts["ok"], [r.usage for r in got]

    return asyncio.run(main())


@pytest.mark.parametrize("takes_n", [True, False])
def test_k_answers_in_one_request_or_k_requests(tmp_path: Path, takes_n: bool) -> None:
    texts, served, usage = answers(SimDialect(n=takes_n), 4, tmp_path / "c.sqlite")
    assert len(texts) == 4 and len(set(texts)) > 1  # each answer its own draw (a prompt whose draws differ)
    assert served == (1 if takes_n else 4)  # n where the endpoint takes it
    assert usage[0]["completion_tokens"] > 0
    again, served_again, _ = answers(SimDialect(n=takes_n), 4, tmp_path / "c.sqlite")
    assert again == texts and served_again == 0  # a resume replays them from the cache
