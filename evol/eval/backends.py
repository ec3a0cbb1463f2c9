"""Generation backends for infer and eval: an OpenAI-compatible endpoint (through evol.llm) or local HF.

Both take the raw instruction; the completions API and the HF backend wrap it in the training prompt
(evol.template.build_prompt); the chat API sends it as the user message and lets the server's chat
template do the wrapping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from evol.loops import run_async
from evol.template import build_prompt

STOP = ("\n### Instruction:",)


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: tuple[str, ...] = STOP
    seed: int | None = None

    def params(self, sample_index: int) -> dict[str, Any]:
        """Request parameters; a sampled request gets seed + sample_index so runs repeat exactly."""
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": list(self.stop),
        }
        if self.seed is not None and self.temperature > 0:
            params["seed"] = self.seed + sample_index
        return params


@dataclass(frozen=True)
class GenRequest:
    key: str
    instruction: str
    input: str = ""
    sample_index: int = 0
    prompt_text: str = ""  # the exact prompt, when the caller builds it (e.g. --prompt-style wizardcoder)

    @property
    def prompt(self) -> str:
        return self.prompt_text or build_prompt(self.instruction, self.input)


@dataclass
class GenResult:
    key: str
    sample_index: int
    text: str = ""
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # set when the request failed for good (the sample is then retried on resume)


OnResult = Callable[[GenResult], None]


class Backend(Protocol):
    name: str

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling, on_result: OnResult) -> None: ...


class EndpointBackend:
    """Batch decoding through LLMClient: its concurrency limit, retries and response cache."""

    name = "endpoint"

    def __init__(
        self,
        base_url: str | list[str],
        model: str,
        *,
        api: Literal["completions", "chat"] = "completions",
        concurrency: int = 64,
        api_key_env: str = "OPENAI_API_KEY",
        cache_path: Path | None = None,
        stage: str = "eval",
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.base_url, self.model, self.api, self.stage = base_url, model, api, stage
        self.concurrency, self.api_key_env, self.cache_path = concurrency, api_key_env, cache_path
        self.client_factory = client_factory or self._client

    def _client(self) -> Any:
        from evol.llm import EndpointConfig, LLMClient

        urls = [self.base_url] if isinstance(self.base_url, str) else self.base_url  # replicas share the load
        cfgs = [EndpointConfig(base_url=u, api_key_env=self.api_key_env, max_concurrency=self.concurrency)
                for u in urls]
        return LLMClient(cfgs, cache_path=self.cache_path)

    def request(self, req: GenRequest, sampling: Sampling) -> Any:
        from evol.llm import LLMRequest

        params = sampling.params(req.sample_index)
        if self.api == "chat":
            content = req.instruction + (f"\n\n{req.input}" if req.input.strip() else "")
            return LLMRequest(
                model=self.model,
                api="chat",
                messages=[{"role": "user", "content": content}],
                params=params,
                sample_index=req.sample_index,
                stage=self.stage,
            )
        return LLMRequest(
            model=self.model,
            api="completions",
            prompt=req.prompt,
            params=params,
            sample_index=req.sample_index,
            stage=self.stage,
        )

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling, on_result: OnResult) -> None:
        run_async(self._generate(requests, sampling, on_result))

    async def _generate(self, requests: Sequence[GenRequest], sampling: Sampling, on_result: OnResult) -> None:
        from evol.llm import LLMFailure

        client = self.client_factory()
        gate = asyncio.Semaphore(max(4 * self.concurrency, 64))  # bounds the tasks alive, not the calls

        async def one(req: GenRequest) -> GenResult:
            async with gate:
                try:
                    res = await client.complete(self.request(req, sampling))
                except LLMFailure as exc:
                    return GenResult(req.key, req.sample_index, error=f"{exc.kind}: {exc}")
                return GenResult(req.key, req.sample_index, res.text or "", res.finish_reason, dict(res.usage))

        try:
            tasks = [asyncio.ensure_future(one(r)) for r in requests]
            try:
                for fut in asyncio.as_completed(tasks):
                    on_result(await fut)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await client.aclose()
