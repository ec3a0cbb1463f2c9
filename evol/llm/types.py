"""The data that crosses the LLM layer: requests (with their cache key), results, failures."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class EndpointConfig:
    """One OpenAI-compatible endpoint. The key is read from the environment variable, never stored."""

    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = 64
    timeout: float = 120.0
    transport: Literal["aiohttp", "httpx"] = "aiohttp"


@dataclass
class LLMRequest:
    """One call. `params` holds every sampling parameter, `extra_body` (vLLM extras) included."""

    model: str
    api: Literal["chat", "completions"] = "chat"
    messages: list[dict[str, str]] | None = None
    prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sample_index: int = 0
    stage: str = ""
    round: int | None = None

    def cache_key(self) -> str:
        """Hash of the canonical JSON of everything that shapes the answer (never the API key)."""
        blob = json.dumps(
            {"model": self.model, "api": self.api, "messages": self.messages, "prompt": self.prompt,
             "params": self.params, "sample_index": self.sample_index},
            sort_keys=True, ensure_ascii=False, separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def body(self) -> dict[str, Any]:
        """The request body sent to the endpoint (without the model's routing)."""
        content = {"messages": self.messages} if self.api == "chat" else {"prompt": self.prompt}
        return {"model": self.model, **content, **self.params}


@dataclass
class LLMResult:
    text: str
    finish_reason: str | None
    usage: dict[str, int]
    model: str
    cached: bool = False
    attempts: int = 1
    endpoint: str = ""
    seconds: float = 0.0

    def to_cache(self) -> dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "usage": self.usage, "model": self.model}


class LLMFailure(Exception):
    """An item's call failed for good (after retries, or not retryable). `kind` goes into the reason."""

    def __init__(self, kind: str, message: str, attempts: int = 1) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.attempts = attempts
