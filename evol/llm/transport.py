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

from evol.llm.retry import MalformedReply, StatusError
from evol.llm.types import EndpointConfig, LLMRequest, LLMResult

PLACEHOLDER_KEY = "sk-no-key-needed"  # local servers (vLLM, the sim) accept any key
KEEPALIVE_S = 4.0  # below uvicorn's (vLLM's) 5 s keep-alive, so a pooled connection is not closed under us


def api_key(env: str) -> str:
    """The key from the environment (never stored in a config, never logged)."""
    return os.environ.get(env) or PLACEHOLDER_KEY


def usage_of(raw: Any) -> dict[str, int]:
    """Prompt, completion and cached tokens from a usage object or dict."""
    if raw is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0}
    get = raw.get if isinstance(raw, dict) else lambda k, d=None: getattr(raw, k, d)
    details = get("prompt_tokens_details")
    cached = (details.get("cached_tokens") if isinstance(details, dict) else getattr(details, "cached_tokens", 0)
              ) if details else 0
    return {"prompt_tokens": int(get("prompt_tokens", 0) or 0),
            "completion_tokens": int(get("completion_tokens", 0) or 0), "cached_tokens": int(cached or 0)}


def parse_reply(data: Any, req: LLMRequest) -> tuple[list[str], str | None, dict[str, int], str]:
    """Texts of all choices, finish reason of the first, usage and model from a reply body (a dict)."""
    if not isinstance(data, dict):
        raise MalformedReply("reply is not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
        raise MalformedReply("reply has no choices")
    choices = sorted(choices, key=lambda c: c.get("index") or 0)
    texts = []
    for choice in choices:
        text = (choice.get("message") or {}).get("content") if req.api == "chat" else choice.get("text")
        if not isinstance(text, str):
            raise MalformedReply("reply has no message content" if req.api == "chat" else "reply has no text")
        texts.append(text)
    return texts, choices[0].get("finish_reason"), usage_of(data.get("usage")), data.get("model") or req.model


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
        texts, finish, usage, model = parse_reply(json.loads(raw), req)
        return LLMResult(texts[0], finish, usage, model, endpoint=self.base, seconds=time.monotonic() - start,
                         texts=texts if len(texts) > 1 else None)

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
        texts, finish, usage, model = parse_reply(resp.model_dump(), req)
        return LLMResult(texts[0], finish, usage, model, endpoint=self.base, seconds=time.monotonic() - start,
                         texts=texts if len(texts) > 1 else None)

    async def aclose(self) -> None:
        await self.sdk.close()


def make_transport(cfg: EndpointConfig) -> Transport:
    return AiohttpTransport(cfg) if cfg.transport == "aiohttp" else SDKTransport(cfg)
