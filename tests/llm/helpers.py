"""Helpers for the LLM-layer tests: an in-process sim and small requests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from evol.llm import EndpointConfig, LLMClient, LLMRequest
from evol.sim.faults import SimOptions
from evol.sim.server import Sim, start


@contextlib.asynccontextmanager
async def sim(**opts: Any) -> AsyncIterator[tuple[str, Sim]]:
    """The sim in this event loop: yields (base_url, its state)."""
    runner, state, port = await start(SimOptions(port=0, **opts))
    try:
        yield f"http://127.0.0.1:{port}/v1", state
    finally:
        await runner.cleanup()


def request(i: int = 0, **params: Any) -> LLMRequest:
    text = f"Write a Python function number {i} that reverses a list."
    return LLMRequest("evol-sim", "chat", messages=[{"role": "user", "content": text}],
                      params={"temperature": 1.0, "max_tokens": 512, **params}, stage="answer", round=1)


def client(*urls: str, concurrency: int = 16, **kwargs: Any) -> LLMClient:
    kwargs.setdefault("backoff_base", 0.01)
    kwargs.setdefault("backoff_cap", 0.1)
    transport = kwargs.pop("transport", "aiohttp")
    return LLMClient([EndpointConfig(u, max_concurrency=concurrency, timeout=kwargs.pop("timeout", 10.0),
                                     transport=transport) for u in urls], **kwargs)
