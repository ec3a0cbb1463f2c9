"""One endpoint: its transport (own connection pool), its adaptive limit and its health."""

from __future__ import annotations

import json
import logging
import time

from evol.llm.dialect import Dialect
from evol.llm.limiter import AdaptiveLimit
from evol.llm.transport import make_transport
from evol.llm.types import EndpointConfig, LLMRequest, LLMResult

log = logging.getLogger("evol.llm")

BENCH_AFTER_FAILURES = 8  # consecutive failed attempts before an endpoint is benched
BENCH_SECONDS = 30.0


class Endpoint:
    """Sends one request to one base URL. Never retries by itself: the client owns the retry loop."""

    def __init__(self, cfg: EndpointConfig) -> None:
        self.cfg = cfg
        self.url = cfg.base_url
        self.limit = AdaptiveLimit(cfg.max_concurrency)
        self.transport = make_transport(cfg)
        self.dialect = Dialect(cfg.base_url, cfg.token_param)
        self.benched_until = 0.0
        self.benched_times = 0
        self.consecutive_failures = 0
        self.successes = 0
        self.rtt: float | None = None  # moving average of reply times, seconds

    def available(self, now: float) -> bool:
        return now >= self.benched_until

    async def send(self, req: LLMRequest) -> LLMResult:
        """Send `req` (already rewritten by this endpoint's dialect: see Dialect.apply)."""
        result = await self.transport.send(req)
        result.structured = "response_format" in req.params and _is_json_object(result.text)
        return result

    def on_success(self, seconds: float = 0.0) -> bool:
        """Record a success; returns True when the limit grew (the router should hand out slots)."""
        self.rtt = seconds if self.rtt is None else 0.9 * self.rtt + 0.1 * seconds
        self.successes += 1
        self.consecutive_failures = 0
        return self.limit.on_success()

    def on_failure(self, overload: bool, *, can_bench: bool) -> None:
        """Record a failed attempt; bench the endpoint for a while when it keeps failing.

        Overload replies (429/503) only shrink the limit: a busy endpoint is not a broken one.
        """
        if overload:
            self.limit.on_overload()
            self.limit.penalty += 1
            return
        self.consecutive_failures += 1
        if can_bench and self.consecutive_failures >= BENCH_AFTER_FAILURES:
            self.benched_until = time.monotonic() + BENCH_SECONDS
            self.benched_times += 1
            self.consecutive_failures = 0
            log.warning("evol: endpoint %s failed %d times in a row: benched for %.0f s, "
                        "its requests go to the other endpoints", self.url, BENCH_AFTER_FAILURES, BENCH_SECONDS)

    @property
    def hold(self) -> float:
        """How long an overload reply keeps one slot out of use: about one round trip."""
        return min(2.0, max(0.02, self.rtt if self.rtt is not None else 0.1))

    def end_penalty(self) -> None:
        self.limit.penalty -= 1

    def snapshot(self) -> dict[str, object]:
        return {"endpoint": self.url, **self.limit.snapshot(), "successes": self.successes,
                "benched_times": self.benched_times, "dialect": self.dialect.snapshot()}

    async def aclose(self) -> None:
        await self.transport.aclose()


def _is_json_object(text: str) -> bool:
    """A reply produced under a JSON schema parses as one object (a server may ignore response_format)."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
