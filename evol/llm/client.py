"""The LLM client: cache, routing across endpoints, adaptive concurrency and the one retry loop."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.errors import EndpointError
from evol.llm.cache import ResponseCache
from evol.llm.endpoint import Endpoint
from evol.llm.fatal import FailureGate, keyed
from evol.llm.reasoning import only_reasoning
from evol.llm.retry import RetryDecision, backoff, classify
from evol.llm.router import Router
from evol.llm.types import EndpointConfig, LLMFailure, LLMRequest, LLMResult
from evol.llm.usage import UsageLedger

log = logging.getLogger("evol.llm")

OVERLOAD_ATTEMPTS_FACTOR = 4  # 429/503 retries allowed per request, as a multiple of max_attempts
DRAIN_SECONDS = 10.0  # at close, wait this long for replies already paid for, so they reach the cache
TRUNCATED = RetryDecision("truncated", retry=False)  # the reply was only thinking: the output cap cut the answer
KEY_STATUS = frozenset({401, 403})  # replies about the key: only their status is kept, never their body
KEY_PART = 6  # a reply quoting this many characters of a key in a row quotes the key: its text is withheld


class LLMClient:
    """Send requests to one or more OpenAI-compatible endpoints without losing or repeating work.

    A request is answered from the cache when it can be, or joins an identical request already in flight.
    Otherwise it takes a slot on the least-loaded endpoint (in flight relative to its limit); on a transient
    failure it gives the slot back while it waits (full-jitter backoff), then tries again, up to
    `max_attempts` (4x that for 429/503) and the per-request `deadline` in seconds. Every attempt runs
    shielded: a reply that arrives after its caller was cancelled still reaches the cache.

    Each endpoint speaks its own dialect (evol.llm.dialect): a 400 naming a parameter it does not take
    changes the dialect and the request is sent again at once. Which failures stop the run is decided by
    the one policy in evol.llm.fatal; an exception that is no reply or transport failure is a bug and
    propagates.
    """

    def __init__(self, endpoints: list[EndpointConfig], *, cache_path: Path | None = None,
                 max_attempts: int = 6, deadline: float = 900.0, backoff_base: float = 0.5,
                 backoff_cap: float = 30.0, seed: int | None = None) -> None:
        if not endpoints:
            raise EndpointError("no endpoint configured")
        self.endpoints = [Endpoint(cfg) for cfg in endpoints]
        self.router = Router(self.endpoints)
        self.cache = ResponseCache(cache_path) if cache_path else None
        self.ledger = UsageLedger()
        self.max_attempts, self.deadline = max_attempts, deadline
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.gate = FailureGate()
        self._rng = random.Random(seed)
        self._secrets = {v for c in endpoints if (v := os.environ.get(c.api_key_env) or "")}  # any length
        self.listed_models: dict[str, str] = {}  # url -> the models its /models lists (named when one is not found)
        self._inflight: dict[str, asyncio.Future[LLMResult]] = {}
        self._attempts: set[asyncio.Task[Any]] = set()
        # Told of every finished call (not cache hits): (request, result or None, error or None, seconds).
        self.on_call: Callable[[LLMRequest, LLMResult | None, BaseException | None, float], None] | None = None

    @property
    def fatal(self) -> EndpointError | None:
        """Why the run stopped (None while it goes on)."""
        return self.gate.fatal

    @classmethod
    def from_settings(cls, settings: Any, urls: list[str], *, cache_path: Path | None = None,
                      sampling: Any = None) -> LLMClient:
        """A client from the config's [endpoint] section (evol.config.EndpointSettings) and resolved URLs.

        `sampling` (evol.config.Sampling) gives the endpoints' token_param ("auto" without it).
        """
        token_param = getattr(sampling, "token_param", "auto")
        cfgs = [EndpointConfig(u, settings.api_key_env, settings.concurrency, settings.timeout,
                               getattr(settings, "transport", "aiohttp"), token_param) for u in urls]
        return cls(cfgs, cache_path=cache_path, max_attempts=settings.max_attempts,
                   deadline=settings.item_deadline, backoff_base=getattr(settings, "backoff_base", 0.5))

    # -- the public call ---------------------------------------------------------------------------------

    async def complete(self, req: LLMRequest) -> LLMResult:
        """The result of one request; raises LLMFailure (this item) or EndpointError (the whole run)."""
        key = req.cache_key()
        while True:
            if self.cache is not None and (hit := self.cache.get(key)) is not None:
                self.ledger.add(req.stage, req.round, "cache", cached=1)
                return LLMResult.from_cache(hit)
            leader = self._inflight.get(key)
            if leader is None:
                break
            try:  # an identical request is in flight: share its answer instead of paying twice
                shared = await asyncio.shield(leader)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if leader.cancelled() and not (task is not None and task.cancelling()):
                    continue  # the leader was cancelled, not us: try again ourselves
                raise
            self.ledger.add(req.stage, req.round, "cache", cached=1)
            return shared.shared()
        future: asyncio.Future[LLMResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        started = time.monotonic()
        try:
            result = await self._call(req, key)
        except (LLMFailure, EndpointError) as exc:
            future.set_exception(exc)
            future.exception()  # mark it retrieved: no follower may be waiting
            if self.on_call is not None:
                self.on_call(req, None, exc, time.monotonic() - started)
            raise
        except BaseException as exc:  # the run stopped on it (Ctrl-C, SIGTERM): sent, maybe paid, so logged
            future.cancel()
            if self.on_call is not None:
                self.on_call(req, None, exc, time.monotonic() - started)
            raise
        else:
            future.set_result(result)  # followers first: the observer must not keep them waiting
            if self.on_call is not None:
                self.on_call(req, result, None, time.monotonic() - started)
            return result
        finally:
            del self._inflight[key]

    async def _call(self, req: LLMRequest, key: str) -> LLMResult:
        self.gate.active += 1
        try:
            return await self._attempts_of(req, key)
        finally:
            self.gate.active -= 1

    async def _attempts_of(self, req: LLMRequest, key: str) -> LLMResult:
        deadline = req.deadline if req.deadline is not None else time.monotonic() + self.deadline
        attempt = errors = overloads = 0
        while True:
            self.gate.check()
            attempt += 1
            endpoint = await self.router.acquire()
            if self.gate.fatal is not None:
                self.router.release(endpoint)
                self.gate.check()
            task = asyncio.get_running_loop().create_task(self._attempt(endpoint, req, key))
            self._attempts.add(task)
            task.add_done_callback(self._attempt_done)
            result, verdict, message = await asyncio.shield(task)
            if result is not None:
                result.attempts = attempt
                return result
            if verdict is None:  # the endpoint's dialect changed: send it again at once
                attempt -= 1
                continue
            self.gate.check()
            overloads += verdict.overload
            errors += not verdict.overload
            delay = backoff(attempt, self.backoff_base, self.backoff_cap, verdict.retry_after, self._rng)
            exhausted = errors >= self.max_attempts or overloads >= OVERLOAD_ATTEMPTS_FACTOR * self.max_attempts
            if not verdict.retry or exhausted or time.monotonic() + delay > deadline:
                self.ledger.add(req.stage, req.round, endpoint.url, failures=1)
                failure = LLMFailure(verdict.kind, message, attempt, endpoint.url,
                                     endpoint.dialect.apply(req).params, transient=verdict.retry)
                if verdict.retry:  # transient failures that lasted: this item's bad luck, not the run's
                    raise failure from None
                await self.gate.failed(verdict, failure, endpoint.url, message)
            log.debug("retry %s in %.2fs (%s, attempt %d)", req.stage, delay, verdict.kind, attempt)
            await asyncio.sleep(delay)

    async def _attempt(self, endpoint: Endpoint, req: LLMRequest,
                       key: str) -> tuple[LLMResult | None, RetryDecision | None, str]:
        """One HTTP attempt with its bookkeeping; runs to the end even if its caller is cancelled.

        Returns (result, None, "") on success, (None, verdict, message) on failure, and (None, None, "")
        when the endpoint's dialect learnt from the failure (the request should be sent again).
        """
        sent = endpoint.dialect.apply(req)
        try:
            result = await endpoint.send(sent)
        except asyncio.CancelledError:  # only at close, after the drain
            self.router.release(endpoint)
            raise
        except Exception as exc:
            self.router.release(endpoint)
            verdict = classify(exc)
            if verdict is None:  # not a reply or transport failure: a bug, which must not become data
                raise
            verdict = keyed(verdict, endpoint.cfg.api_key_env)
            message = self.redact(_status_line(exc))
            if verdict.status in KEY_STATUS:  # servers echo the key given, whole or in part: keep only the status
                message = f"HTTP {verdict.status}"
            if verdict.kind == "no_key":
                message += f"; {endpoint.cfg.api_key_env} is not set"
            if verdict.kind == "model_not_found" and endpoint.cfg.base_url in self.listed_models:
                message += f"; it lists: {self.listed_models[endpoint.cfg.base_url]}"
            if endpoint.dialect.learn(sent, verdict.status, _error_text(exc)) or endpoint.dialect.apply(req) != sent:
                self.ledger.error(req.stage, req.round, endpoint.url, "dialect")
                return None, None, ""
            self.ledger.error(req.stage, req.round, endpoint.url, verdict.kind)
            endpoint.on_failure(verdict.overload, can_bench=len(self.endpoints) > 1 and verdict.retry)
            if verdict.overload:
                asyncio.get_running_loop().call_later(endpoint.hold, self._end_penalty, endpoint)
            return None, verdict, message
        self.router.release(endpoint)
        result.sent_params = sent.params
        if endpoint.on_success(result.seconds):
            self.router.wake()
        self.ledger.add(req.stage, req.round, endpoint.url, calls=1, attempts=1, **result.usage)
        if only_reasoning(result.text, result.reasoning):
            return None, TRUNCATED, f"finish_reason={result.finish_reason}: the reply holds only reasoning"
        self.gate.success()
        if self.cache is not None:
            self.cache.put(key, result.to_cache(), model=req.model, stage=req.stage)
        return result, None, ""

    def _end_penalty(self, endpoint: Endpoint) -> None:
        endpoint.end_penalty()
        self.router.wake()

    def _attempt_done(self, task: asyncio.Task[Any]) -> None:
        self._attempts.discard(task)
        if not task.cancelled():
            task.exception()  # mark retrieved; _attempt returns its failures instead of raising them

    # -- helpers ------------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """The text with any API key of this client's endpoints masked; a text quoting part of one (KEY_PART
        characters in a row) is withheld whole, as servers echo keys cut or starred."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
            if any(secret[i:i + KEY_PART] in text for i in range(len(secret) - KEY_PART + 1)):
                return "(the reply's text is withheld: it quotes part of the API key)"
        return text

    def snapshot(self) -> list[dict[str, Any]]:
        """Per endpoint: limit, cap, in flight, cuts, successes, times benched (for the manifest)."""
        return [e.snapshot() for e in self.endpoints]

    async def aclose(self, drain: float = DRAIN_SECONDS) -> None:
        """Let attempts already in flight land in the cache (at most `drain` s), then close everything."""
        pending = [t for t in self._attempts if not t.done()]
        if pending and drain > 0:
            await asyncio.wait(pending, timeout=drain)
        for task in list(self._attempts):
            task.cancel()
        for endpoint in self.endpoints:
            await endpoint.aclose()
        if self.cache is not None:
            self.cache.close()


def _status_line(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return text if status is None or text.startswith(f"HTTP {status}") else f"HTTP {status}: {text}"


def _error_text(exc: BaseException) -> str:
    """All an error says about itself (its message and body), for the dialect to learn from."""
    body = getattr(exc, "body", None)
    return f"{exc} {json.dumps(body, default=str) if body is not None else ''}"
