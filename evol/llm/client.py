"""The LLM client: cache, routing across endpoints, adaptive concurrency and the one retry loop."""

from __future__ import annotations

import asyncio
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
from evol.llm.retry import CONFIG_STATUS, Verdict, backoff, classify
from evol.llm.router import Router
from evol.llm.types import EndpointConfig, LLMFailure, LLMRequest, LLMResult
from evol.llm.usage import UsageLedger

log = logging.getLogger("evol.llm")

OVERLOAD_ATTEMPTS_FACTOR = 4  # 429/503 retries allowed per request, as a multiple of max_attempts
HARD_FAILURES_BEFORE_STOP = 20  # non-retryable failures in a row, before any success: a config problem
DRAIN_SECONDS = 10.0  # at close, wait this long for replies already paid for, so they reach the cache

RESUME_HINT = "work done so far is kept: fix it, then rerun the same command to resume"


class LLMClient:
    """Send requests to one or more OpenAI-compatible endpoints without losing or repeating work.

    A request is answered from the cache when it can be, or joins an identical request already in flight.
    Otherwise it takes a slot on the least-loaded endpoint (in flight relative to its limit); on a transient
    failure it gives the slot back while it waits (full-jitter backoff), then tries again, up to
    `max_attempts` (4x that for 429/503) and the per-request `deadline` in seconds. Every attempt runs
    shielded: a reply that arrives after its caller was cancelled still reaches the cache.
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
        self.fatal: EndpointError | None = None
        self._rng = random.Random(seed)
        self._secrets = {v for c in endpoints if (v := os.environ.get(c.api_key_env) or "")}  # any length
        self._inflight: dict[str, asyncio.Future[LLMResult]] = {}
        self._attempts: set[asyncio.Task[Any]] = set()
        self._successes = 0
        self._hard_failures = 0
        # Told of every finished call (not cache hits): (request, result or None, error or None, seconds).
        self.on_call: Callable[[LLMRequest, LLMResult | None, BaseException | None, float], None] | None = None

    @classmethod
    def from_settings(cls, settings: Any, urls: list[str], *, cache_path: Path | None = None) -> LLMClient:
        """A client from the config's [endpoint] section (evol.config.EndpointSettings) and resolved URLs."""
        cfgs = [EndpointConfig(u, settings.api_key_env, settings.concurrency, settings.timeout,
                               getattr(settings, "transport", "aiohttp")) for u in urls]
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
            return LLMResult(shared.text, shared.finish_reason, dict(shared.usage), shared.model, cached=True,
                             attempts=0, endpoint="shared", texts=shared.texts)
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
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(result)  # followers first: the observer must not keep them waiting
            if self.on_call is not None:
                self.on_call(req, result, None, time.monotonic() - started)
            return result
        finally:
            del self._inflight[key]

    async def _call(self, req: LLMRequest, key: str) -> LLMResult:
        deadline = req.deadline if req.deadline is not None else time.monotonic() + self.deadline
        attempt = errors = overloads = 0
        while True:
            if self.fatal is not None:
                raise EndpointError(str(self.fatal))
            attempt += 1
            endpoint = await self.router.acquire()
            if self.fatal is not None:
                self.router.release(endpoint)
                raise EndpointError(str(self.fatal))
            task = asyncio.get_running_loop().create_task(self._attempt(endpoint, req, key))
            self._attempts.add(task)
            task.add_done_callback(self._attempt_done)
            result, verdict, message = await asyncio.shield(task)
            if result is not None:
                result.attempts = attempt
                return result
            assert verdict is not None
            if self.fatal is not None:
                raise EndpointError(str(self.fatal))
            overloads += verdict.overload
            errors += not verdict.overload
            delay = backoff(attempt, self.backoff_base, self.backoff_cap, verdict.retry_after, self._rng)
            exhausted = errors >= self.max_attempts or overloads >= OVERLOAD_ATTEMPTS_FACTOR * self.max_attempts
            if not verdict.retry or exhausted or time.monotonic() + delay > deadline:
                self.ledger.add(req.stage, req.round, endpoint.url, failures=1)
                raise LLMFailure(verdict.kind, message, attempt, endpoint.url) from None
            log.debug("retry %s in %.2fs (%s, attempt %d)", req.stage, delay, verdict.kind, attempt)
            await asyncio.sleep(delay)

    async def _attempt(self, endpoint: Endpoint, req: LLMRequest,
                       key: str) -> tuple[LLMResult | None, Verdict | None, str]:
        """One HTTP attempt with its bookkeeping; runs to the end even if its caller is cancelled."""
        try:
            result = await endpoint.send(req)
        except asyncio.CancelledError:  # only at close, after the drain
            self.router.release(endpoint)
            raise
        except Exception as exc:  # classified: anything unknown ends only this item
            self.router.release(endpoint)
            verdict = classify(exc)
            message = self.redact(_status_line(exc))
            if verdict.kind == "auth":  # servers echo the key given, whole or in part: keep only the status
                message = f"HTTP {verdict.status}"
            self.ledger.error(req.stage, req.round, endpoint.url, verdict.kind)
            endpoint.on_failure(verdict.overload, can_bench=len(self.endpoints) > 1 and verdict.retry)
            if verdict.overload:
                asyncio.get_running_loop().call_later(endpoint.hold, self._end_penalty, endpoint)
            self._check_fatal(endpoint, verdict, message)
            return None, verdict, message
        self.router.release(endpoint)
        self._successes += 1
        self._hard_failures = 0
        if endpoint.on_success(result.seconds):
            self.router.wake()
        self.ledger.add(req.stage, req.round, endpoint.url, calls=1, attempts=1, **result.usage)
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

    def _check_fatal(self, endpoint: Endpoint, verdict: Verdict, message: str) -> None:
        """Stop the run for failures that every later request would repeat (key, quota, URL, model)."""
        if verdict.retry:
            return
        self._hard_failures += 1
        why = None
        if verdict.kind == "auth":
            why = "the endpoint refused the API key (HTTP 401); check the variable named by endpoint.api_key_env"
        elif verdict.kind == "insufficient_quota":
            why = "the account has no quota left (insufficient_quota); add credit or raise the limit"
        elif self._successes == 0 and verdict.status in CONFIG_STATUS:
            why = f"HTTP {verdict.status} before any success; check endpoint.base_url and endpoint.model"
        elif self._successes == 0 and self._hard_failures >= HARD_FAILURES_BEFORE_STOP:
            why = f"the first {self._hard_failures} requests all failed ({verdict.kind}); check the endpoint settings"
        if why is not None and self.fatal is None:
            self.fatal = EndpointError(f"{endpoint.url}: {why} [{message}]; stopping, {RESUME_HINT}")
            log.debug("%s", self.fatal)  # raised to the caller, which reports it once

    # -- helpers ------------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """The text with any API key of this client's endpoints masked."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
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
