"""k answers to one prompt: one request with `n = k` where the endpoint takes it, else k requests.

The endpoint's dialect learns whether it takes `n` (evol.llm.dialect): where it does not, the `n` request comes
back with one choice, and the rest are asked as requests of their own, each with its own seed and cache key
(`make(i)`), all at once. Either way the same run asks the same requests, so a resume replays them from the cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from evol.llm.types import LLMRequest, LLMResult


async def sample(complete: Callable[[LLMRequest], Awaitable[LLMResult]], make: Callable[[int], LLMRequest],
                 k: int) -> list[LLMResult]:
    """k results, one text each (the first carries the `n` request's usage; the others' usage is their own)."""
    first = make(0)
    if k > 1:
        first.params = {**first.params, "n": k}
    result = await complete(first)
    texts = (result.texts or [result.text])[:k]
    out = [replace(result, text=t, texts=None, usage=result.usage if i == 0 else {},
                   reasoning=result.reasoning if i == 0 else None) for i, t in enumerate(texts)]
    if len(out) < k:  # the endpoint takes no n: one request per missing answer, each its own seed
        out += await asyncio.gather(*(complete(make(i)) for i in range(len(out), k)))
    return out
