"""The LLM client: cache, routing across endpoints, adaptive concurrency and the one retry loop."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from evol.errors import EndpointError
from evol.llm.cache import ResponseCache
from evol.llm.endpoint import Endpoint
from evol.llm.retry import backoff, classify
from evol.llm.types import EndpointConfig, LLMFailure, LLMRequest, LLMResult
from evol.llm.usage import UsageLedger

log = logging.getLogger("evol.llm")

BENCH_AFTER_FAILURES = 8  # consecutive failed attempts before an endpoint is benched
BENCH_SECONDS = 30.0


class LLMClient:
    """Send requests to one or more OpenAI-compatible endpoints without losing or repeating work.

    A request is answered from the cache when it can be. Otherwise it takes a slot on the least-loaded
    endpoint (in flight relative to its limit), and on a transient failure gives the slot back while it
    waits (full-jitter backoff), then tries again, up to `max_attempts` and the per-item `deadline`.
    """

    def __init__(self, endpoints: list[EndpointConfig], *, cache_path: Path | None = None,
                 max_attempts: int = 6, deadline: float = 900.0, backoff_base: float = 0.5) -> None:
        if not endpoints:
            raise EndpointError("no endpoint configured")
        self.endpoints = [Endpoint(cfg) for cfg in endpoints]
        self.cache = ResponseCache(cache_path) if cache_path else None
        self.ledger = UsageLedger()
        self.max_attempts, self.deadline, self.backoff_base = max_attempts, deadline, backoff_base
        self.fatal: EndpointError | None = None

    def _pick(self) -> Endpoint:
        now = time.monotonic()
        live = [e for e in self.endpoints if e.available(now)] or self.endpoints
        return max(live, key=lambda e: e.limit.free)

    async def complete(self, req: LLMRequest) -> LLMResult:
        """The result of one request; raises LLMFailure (this item) or EndpointError (the whole run)."""
        key = req.cache_key()
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.ledger.add(req.stage, req.round, "cache", calls=1, cached=1)
            return LLMResult(**hit, cached=True, attempts=0, endpoint="cache")
        started = time.monotonic()
        attempt = 0
        while True:
            if self.fatal is not None:
                raise self.fatal
            attempt += 1
            endpoint = self._pick()
            await endpoint.limit.acquire()
            try:
                result = await endpoint.send(req)
            except Exception as exc:  # classified below; anything unknown ends only this item
                verdict = classify(exc)
                self._on_failure(endpoint, req, verdict.overload)
                if verdict.fatal:
                    self.fatal = EndpointError(
                        f"{endpoint.url}: {verdict.kind} ({_status_line(exc)}); stopping, work done so far is kept")
                    raise self.fatal from None
                out_of_time = time.monotonic() - started > self.deadline
                if not verdict.retry or attempt >= self.max_attempts or out_of_time:
                    self.ledger.add(req.stage, req.round, endpoint.url, failures=1)
                    raise LLMFailure(verdict.kind, _status_line(exc), attempt) from None
                delay = backoff(attempt, self.backoff_base, retry_after=verdict.retry_after)
                log.debug("retry %s after %.2fs (%s, attempt %d)", req.stage, delay, verdict.kind, attempt)
            else:
                endpoint.limit.on_success()
                endpoint.consecutive_failures = 0
                result.attempts = attempt
                self.ledger.add(req.stage, req.round, endpoint.url, calls=1, attempts=1, **result.usage)
                if self.cache is not None:
                    self.cache.put(key, result.to_cache(), model=req.model, stage=req.stage)
                return result
            finally:
                await endpoint.limit.release()  # give the slot back before any backoff wait
            await asyncio.sleep(delay)

    def _on_failure(self, endpoint: Endpoint, req: LLMRequest, overload: bool) -> None:
        self.ledger.add(req.stage, req.round, endpoint.url, attempts=1)
        if overload:
            endpoint.limit.on_overload()
        endpoint.consecutive_failures += 1
        if endpoint.consecutive_failures >= BENCH_AFTER_FAILURES and len(self.endpoints) > 1:
            endpoint.benched_until = time.monotonic() + BENCH_SECONDS
            endpoint.consecutive_failures = 0
            log.warning("endpoint %s keeps failing: benched for %.0fs", endpoint.url, BENCH_SECONDS)

    async def aclose(self) -> None:
        for endpoint in self.endpoints:
            await endpoint.aclose()
        if self.cache is not None:
            self.cache.close()


def _status_line(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return f"HTTP {status}: {text}" if status else text
