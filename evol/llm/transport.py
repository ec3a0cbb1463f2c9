"""HTTP transports: send one request, parse one reply. They never retry: the client owns the retry loop.

Measured against the sim (bench/results/llm.json, "throughput" rows: client CPU per request, C = 16-256):
posting the JSON through one aiohttp session costs 0.42-0.59 ms a request; the openai SDK costs 2.2 ms over
aiohttp and 3.9 ms over httpx (request building, model validation). So "aiohttp" is the default and the SDK
transports stay available ("openai-aiohttp", "openai-httpx") for endpoints that need them.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Protocol

import aiohttp

from evol.llm.reasoning import FIELDS as REASONING_FIELDS
from evol.llm.reasoning import split_reasoning
from evol.llm.retry import MalformedReply, StatusError
from evol.llm.types import EndpointConfig, LLMRequest, LLMResult

PLACEHOLDER_KEY = "sk-no-key-needed"  # local servers (vLLM, the sim) accept any key
KEEPALIVE_S = 4.0  # below uvicorn's (vLLM's) 5 s keep-alive, so a pooled connection is not closed under us


def api_key(env: str) -> str:
    """The key from the environment (never stored in a config, never logged)."""
    return os.environ.get(env) or PLACEHOLDER_KEY


def usage_of(raw: Any) -> dict[str, int]:
    """Prompt, completion, cached-prompt and reasoning tokens from a usage object or dict.

    Reasoning tokens are part of the completion tokens (and billed as such), as OpenAI counts them.
    """
    if raw is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0, "reasoning_tokens": 0}
    get = raw.get if isinstance(raw, dict) else lambda k, d=None: getattr(raw, k, d)
    return {"prompt_tokens": int(get("prompt_tokens", 0) or 0),
            "completion_tokens": int(get("completion_tokens", 0) or 0),
            "cached_tokens": _detail(get("prompt_tokens_details"), "cached_tokens"),
            "reasoning_tokens": _detail(get("completion_tokens_details"), "reasoning_tokens")}


def _detail(details: Any, name: str) -> int:
    value = details.get(name) if isinstance(details, dict) else getattr(details, name, 0)
    return int(value or 0)


def parse_result(data: Any, req: LLMRequest) -> LLMResult:
    """The result in a reply body (a dict): every choice's text without its thinking, the first's thinking.

    Thinking the server did not count (a <think> block in the content) is counted at about 4 characters a
    token, within the completion tokens. A body of the wrong shape raises MalformedReply (retried).
    """
    try:
        return _parse_result(data, req)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a field of the wrong type
        raise MalformedReply(f"unusable reply ({type(exc).__name__}: {exc})") from exc


def _parse_result(data: Any, req: LLMRequest) -> LLMResult:
    if not isinstance(data, dict):
        raise MalformedReply("reply is not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
        raise MalformedReply("reply has no choices")
    choices = sorted(choices, key=lambda c: c.get("index") or 0)
    texts, thoughts = [], []
    for choice in choices:
        source = (choice.get("message") or {}) if req.api == "chat" else choice
        content = source.get("content") if req.api == "chat" else source.get("text")
        if content is None and any(isinstance(source.get(f), str) for f in REASONING_FIELDS):
            content = ""  # a reasoning server cut while thinking: no content at all
        if not isinstance(content, str):
            raise MalformedReply("reply has no message content" if req.api == "chat" else "reply has no text")
        text, thought = split_reasoning(content, source)
        texts.append(text)
        thoughts.append(thought)
    usage = usage_of(data.get("usage"))
    if thoughts[0] and not usage["reasoning_tokens"]:
        usage["reasoning_tokens"] = min(usage["completion_tokens"], (len(thoughts[0]) + 3) // 4)
    return LLMResult(texts[0], choices[0].get("finish_reason"), usage, data.get("model") or req.model,
                     texts=texts if len(texts) > 1 else None, reasoning=thoughts[0])


def parse_reply(data: Any, req: LLMRequest) -> tuple[list[str], str | None, dict[str, int], str]:
    """Texts of all choices (without thinking), finish reason of the first, usage and model."""
    result = parse_result(data, req)
    return result.texts or [result.text], result.finish_reason, result.usage, result.model


class Transport(Protocol):
    async def send(self, req: LLMRequest) -> LLMResult: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """POST the request body as JSON through one pooled aiohttp session."""

    def __init__(self, cfg: EndpointConfig) -> None:
        self.base = cfg.base_url.rstrip("/")
        self.cfg = cfg
        self._headers = {"Authorization": f"Bearer {api_key(cfg.api_key_env)}", "Content-Type": "application/json",
                         "User-Agent": "evol"}
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # never show the headers (the key)
        return f"AiohttpTransport({self.base!r})"

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.cfg.max_concurrency + 8, keepalive_timeout=KEEPALIVE_S,
                                         ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=self.cfg.timeout, sock_connect=min(30.0, self.cfg.timeout))
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self._headers)
        return self._session

    async def send(self, req: LLMRequest) -> LLMResult:
        session = self._session or self._open()
        start = time.monotonic()
        payload = json.dumps(req.body(), ensure_ascii=False).encode("utf-8")
        async with session.post(self.base + req.path(), data=payload) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")[:500]
                raise StatusError(resp.status, body, resp.headers)
        result = parse_result(json.loads(raw), req)
        result.endpoint, result.seconds = self.base, time.monotonic() - start
        return result

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class SDKTransport:
    """Through the openai SDK (its retries off), over its aiohttp or httpx transport."""

    def __init__(self, cfg: EndpointConfig) -> None:
        import openai

        self.base = cfg.base_url.rstrip("/")
        http = openai.DefaultAioHttpClient(timeout=cfg.timeout) if cfg.transport == "openai-aiohttp" else None
        self.sdk = openai.AsyncOpenAI(base_url=cfg.base_url, api_key=api_key(cfg.api_key_env), max_retries=0,
                                      timeout=cfg.timeout, http_client=http)

    def __repr__(self) -> str:
        return f"SDKTransport({self.base!r})"

    async def send(self, req: LLMRequest) -> LLMResult:
        start = time.monotonic()
        params = {k: v for k, v in req.params.items() if v is not None}
        extra_body = params.pop("extra_body", None) or None
        if req.api == "chat":
            resp = await self.sdk.chat.completions.create(model=req.model, messages=req.messages,  # type: ignore[arg-type]
                                                          extra_body=extra_body, **params)
        else:
            resp = await self.sdk.completions.create(model=req.model, prompt=req.prompt,  # type: ignore[arg-type]
                                                     extra_body=extra_body, **params)
        result = parse_result(resp.model_dump(), req)
        result.endpoint, result.seconds = self.base, time.monotonic() - start
        return result

    async def aclose(self) -> None:
        await self.sdk.close()


def make_transport(cfg: EndpointConfig) -> Transport:
    return AiohttpTransport(cfg) if cfg.transport == "aiohttp" else SDKTransport(cfg)
