"""A scripted fake LLM client for stage tests (no HTTP)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from evol.llm import LLMRequest, LLMResult


class FakeClient:
    """Answers requests from a queue of texts, exceptions or functions of the request, and remembers the
    requests."""

    def __init__(self, *replies: str | Exception | Callable[[LLMRequest], str]) -> None:
        self.replies = deque(replies)
        self.requests: list[LLMRequest] = []

    async def complete(self, req: LLMRequest) -> LLMResult:
        self.requests.append(req)
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(req)
        return LLMResult(reply, "stop", {"prompt_tokens": 10, "completion_tokens": 5}, "m")
