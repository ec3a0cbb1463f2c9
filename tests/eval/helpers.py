"""Helpers for the eval tests: a fake LLM client and samples files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.llm import LLMRequest, LLMResult


def write_samples(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class FakeClient:
    """Stands in for LLMClient: `complete` answers (or raises) from a function of the request."""

    def __init__(self, answer: Callable[[LLMRequest], str | Exception]) -> None:
        self.answer = answer
        self.requests: list[LLMRequest] = []
        self.closed = False

    async def complete(self, req: LLMRequest) -> LLMResult:
        self.requests.append(req)
        text = self.answer(req)
        if isinstance(text, Exception):
            raise text
        return LLMResult(
            text=text, finish_reason="stop", usage={"prompt_tokens": 3, "completion_tokens": 5}, model=req.model
        )

    async def aclose(self) -> None:
        self.closed = True
