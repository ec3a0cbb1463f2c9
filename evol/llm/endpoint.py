"""One endpoint: its SDK client (own connection pool, SDK retries off), its adaptive limit, its health."""

from __future__ import annotations

import os
import time

import openai

from evol.llm.limiter import AdaptiveLimit
from evol.llm.retry import MalformedReply
from evol.llm.types import EndpointConfig, LLMRequest, LLMResult

PLACEHOLDER_KEY = "sk-no-key-needed"  # local servers (vLLM, the sim) accept any key


def _usage(raw: object) -> dict[str, int]:
    if raw is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0}
    details = getattr(raw, "prompt_tokens_details", None)
    return {
        "prompt_tokens": int(getattr(raw, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(raw, "completion_tokens", 0) or 0),
        "cached_tokens": int(getattr(details, "cached_tokens", 0) or 0) if details else 0,
    }


class Endpoint:
    """Sends one request to one base URL. Never retries by itself: the client owns the retry loop."""

    def __init__(self, cfg: EndpointConfig) -> None:
        self.cfg = cfg
        self.url = cfg.base_url
        self.limit = AdaptiveLimit(cfg.max_concurrency)
        self.benched_until = 0.0
        self.consecutive_failures = 0
        http_client = openai.DefaultAioHttpClient(timeout=cfg.timeout) if cfg.transport == "aiohttp" else None
        self._sdk = openai.AsyncOpenAI(
            base_url=cfg.base_url,
            api_key=os.environ.get(cfg.api_key_env) or PLACEHOLDER_KEY,
            max_retries=0,
            timeout=cfg.timeout,
            http_client=http_client,
        )

    def available(self, now: float) -> bool:
        return now >= self.benched_until

    async def send(self, req: LLMRequest) -> LLMResult:
        start = time.monotonic()
        params = dict(req.params)
        extra_body = params.pop("extra_body", None) or None
        if req.api == "chat":
            resp = await self._sdk.chat.completions.create(
                model=req.model, messages=req.messages, extra_body=extra_body, **params)
            if not resp.choices or resp.choices[0].message is None or resp.choices[0].message.content is None:
                raise MalformedReply("reply has no message content")
            text = resp.choices[0].message.content
        else:
            resp = await self._sdk.completions.create(
                model=req.model, prompt=req.prompt, extra_body=extra_body, **params)
            if not resp.choices or resp.choices[0].text is None:
                raise MalformedReply("reply has no completion text")
            text = resp.choices[0].text
        return LLMResult(text=text, finish_reason=resp.choices[0].finish_reason, usage=_usage(resp.usage),
                         model=resp.model or req.model, endpoint=self.url, seconds=time.monotonic() - start)

    async def aclose(self) -> None:
        await self._sdk.close()
