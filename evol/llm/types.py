"""The data that crosses the LLM layer: requests (with their cache key), results, failures."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from evol.llm.reasoning import split_reasoning

Transport = Literal["aiohttp", "openai-aiohttp", "openai-httpx"]
TokenParam = Literal["auto", "max_tokens", "max_completion_tokens"]


@dataclass(frozen=True)
class EndpointConfig:
    """One OpenAI-compatible endpoint. The key is read from the environment variable, never stored.

    transport: "aiohttp" posts JSON straight through one aiohttp session (the default: about 0.4 ms of
    client CPU a request); "openai-aiohttp" / "openai-httpx" go through the openai SDK (about 3 ms).
    """

    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = 64
    timeout: float = 120.0
    transport: Transport = "aiohttp"
    token_param: TokenParam = "auto"  # how the endpoint names the output cap (see evol.llm.dialect)


@dataclass
class LLMRequest:
    """One call. `params` holds every sampling parameter, `extra_body` (vLLM extras) included.

    `params["max_tokens"]` is the output cap whatever the endpoint calls it: the client's dialect renames
    or drops parameters per endpoint, so requests (and their cache keys) never depend on the endpoint.
    `json_schema` asks for a reply under that JSON schema (response_format) where the endpoint supports it.
    `deadline` (optional, time.monotonic() seconds) bounds the retries of this request; the client's own
    per-request deadline applies when it is None.
    """

    model: str
    api: Literal["chat", "completions"] = "chat"
    messages: list[dict[str, str]] | None = None
    prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sample_index: int = 0
    stage: str = ""
    round: int | None = None
    deadline: float | None = None
    json_schema: dict[str, Any] | None = None

    def cache_key(self) -> str:
        """Hash of the canonical JSON of everything that shapes the answer (never the API key)."""
        shape: dict[str, Any] = {"model": self.model, "api": self.api, "messages": self.messages,
                                 "prompt": self.prompt, "params": self.params, "sample_index": self.sample_index}
        if self.json_schema is not None:  # only when set: older cache keys stay valid
            shape["json_schema"] = self.json_schema
        blob = json.dumps(shape, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def body(self) -> dict[str, Any]:
        """The JSON body sent to the endpoint: extra_body merged at the top level, as the SDK does."""
        params = dict(self.params)
        extra = params.pop("extra_body", None) or {}
        content = {"messages": self.messages} if self.api == "chat" else {"prompt": self.prompt}
        return {"model": self.model, **content, **{k: v for k, v in params.items() if v is not None}, **extra}

    def path(self) -> str:
        """The API path under base_url."""
        return "/chat/completions" if self.api == "chat" else "/completions"


@dataclass
class LLMResult:
    """One answer. `text` never holds the teacher's thinking: that is in `reasoning` (None when none).

    `structured` says the reply was produced under the request's json_schema (response_format honoured).
    """

    text: str
    finish_reason: str | None
    usage: dict[str, int]
    model: str
    cached: bool = False
    attempts: int = 1
    endpoint: str = ""
    seconds: float = 0.0
    texts: list[str] | None = None  # every choice when n > 1 (text is the first)
    reasoning: str | None = None  # the first choice's thinking
    structured: bool = False
    sent_params: dict[str, Any] | None = None  # the parameters as sent, after the endpoint's dialect (not cached)

    def to_cache(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "finish_reason": self.finish_reason, "usage": self.usage,
                               "model": self.model}
        if self.texts is not None and len(self.texts) > 1:
            out["texts"] = self.texts
        if self.reasoning is not None:
            out["reasoning"] = self.reasoning
        if self.structured:
            out["structured"] = True
        return out

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> LLMResult:
        """A cached result; one cached before thinking was split off is split now."""
        text, reasoning = data["text"], data.get("reasoning")
        texts = data.get("texts")
        if "reasoning" not in data:
            text, reasoning = split_reasoning(text)
            texts = [split_reasoning(t)[0] for t in texts] if texts else texts
        return cls(text=text, finish_reason=data.get("finish_reason"), usage=data.get("usage") or {},
                   model=data.get("model", ""), cached=True, attempts=0, endpoint="cache",
                   texts=texts, reasoning=reasoning, structured=bool(data.get("structured")))

    def shared(self) -> LLMResult:
        """This result as handed to an identical request that waited for it."""
        return replace(self, usage=dict(self.usage), cached=True, attempts=0, endpoint="shared", seconds=0.0)


class LLMFailure(Exception):
    """An item's call failed for good (after retries, or not retryable). `kind` goes into the reason."""

    def __init__(self, kind: str, message: str, attempts: int = 1, endpoint: str = "",
                 sent_params: dict[str, Any] | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.attempts = attempts
        self.endpoint = endpoint  # the URL of the last attempt
        self.sent_params = sent_params  # the last attempt's parameters, as the endpoint's dialect sent them
