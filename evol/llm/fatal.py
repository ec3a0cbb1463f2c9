"""The one fatal-error policy: which failures end only their item, and which stop the whole run.

A failure stops the run at once when every later request would repeat it: the key is refused (401), the
account has no quota, or, before any request has succeeded, the URL or model is wrong (403/404).

Any other non-retryable failure (a 400 the dialect cannot fix, a reply that was only thinking) may be the
item's own fault, or the configuration's. Until the first success the client cannot tell, so the item's
failure is *held* by the `FailureGate`: the first success releases every held failure as an item failure;
and when every request the run has in flight is held (nothing else can succeed any more), or 20 are held,
the run stops with the failure's message (exit code 4). So a run of any size whose requests all fail the
same way ends with that message, never with 0 rows and exit code 0, and none of its items is written
off as failed: a rerun after the fix tries them again.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass, replace

from evol.errors import EndpointError
from evol.llm.retry import RetryDecision
from evol.llm.types import LLMFailure

CONFIG_STATUS = frozenset({403, 404})  # before any success: a wrong URL, model or permission
HELD_BEFORE_STOP = 20  # failures held before any success: enough to call it the configuration
SETTLE_SECONDS = 0.25  # all in-flight requests held for this long (no new request came): stop
RESUME_HINT = "work done so far is kept: fix it, then rerun the same command to resume"
WHY = {
    "auth": "the endpoint refused the API key (HTTP 401); check the variable named by endpoint.api_key_env",
    "no_key": "no API key is set and the endpoint wants one (HTTP 401); put it in the variable named by "
              "endpoint.api_key_env (--api-key-env)",
    "insufficient_quota": "the account has no quota left (insufficient_quota); add credit or raise the limit",
    "model_not_found": "the endpoint has no model named by endpoint.model (--model)",
    "truncated": "the replies were only reasoning, cut at the output cap; raise sampling.max_tokens",
}


class RunStopped(EndpointError):
    """The run stops: every later request would fail the same way. `cause` is the failure's kind.

    (Not `kind`: an error with a `kind` is an item's LLMFailure; this one ends the whole run.)
    """

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def keyed(verdict: RetryDecision, api_key_env: str) -> RetryDecision:
    """A refused key (`auth`) told apart from no key at all (`no_key`: the variable is unset or empty)."""
    if verdict.kind == "auth" and not os.environ.get(api_key_env):
        return replace(verdict, kind="no_key")
    return verdict


def stop_now(verdict: RetryDecision, successes: int) -> str | None:
    """Why this failure stops the run at once (None: it concerns its item, or it is too soon to tell)."""
    if verdict.fatal:
        return WHY.get(verdict.kind, verdict.kind)
    if not verdict.retry and successes == 0 and verdict.status in CONFIG_STATUS:
        return (f"HTTP {verdict.status} before any success; check the API key (endpoint.api_key_env), "
                "endpoint.base_url and endpoint.model")
    return None


def stopped(url: str, why: str, message: str, cause: str) -> RunStopped:
    return RunStopped(f"{url}: {why} [{message}]; stopping, {RESUME_HINT}", cause)


@dataclass
class _Held:
    future: asyncio.Future[None]
    failure: LLMFailure
    url: str
    message: str


class FailureGate:
    """Holds non-retryable item failures until the run has shown it can succeed (see the module doc)."""

    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self.settle = settle
        self.successes = 0
        self.active = 0  # requests between their first attempt and their outcome
        self.fatal: RunStopped | None = None
        self._held: list[_Held] = []
        self._timer: asyncio.TimerHandle | None = None

    def check(self) -> None:
        """Raise the run's stop, if there is one."""
        if self.fatal is not None:
            raise RunStopped(str(self.fatal), self.fatal.cause)

    def success(self) -> None:
        self.successes += 1
        held, self._held = self._held, []
        for h in held:
            if not h.future.done():
                h.future.set_result(None)

    def stop(self, error: RunStopped) -> None:
        if self.fatal is None:
            self.fatal = error
        for h in self._held:
            if not h.future.done():
                h.future.set_result(None)
        self._held = []

    async def failed(self, verdict: RetryDecision, failure: LLMFailure, url: str, message: str) -> None:
        """A request failed for good: raises its LLMFailure (after holding it) or the run's RunStopped."""
        why = stop_now(verdict, self.successes)
        if why is not None:
            self.stop(stopped(url, why, message, verdict.kind))
        self.check()
        if self.successes:
            raise failure
        held = _Held(asyncio.get_running_loop().create_future(), failure, url, message)
        self._held.append(held)
        if sum(h.failure.kind == failure.kind for h in self._held) >= HELD_BEFORE_STOP:
            self._stop_held()
        else:
            self._arm()
        try:
            await held.future
        finally:
            if held in self._held:
                self._held.remove(held)
        self.check()
        raise failure

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.settle, self._settled)

    def _settled(self) -> None:
        self._timer = None
        if self.successes == 0 and self._held and len(self._held) >= self.active:
            self._stop_held()

    def _stop_held(self) -> None:
        kinds = Counter(h.failure.kind for h in self._held)
        kind, count = kinds.most_common(1)[0]
        first = next(h for h in self._held if h.failure.kind == kind)
        why = WHY.get(kind) or f"no request succeeded: {count} failed with {kind}, not retryable"
        self.stop(stopped(first.url, why, first.message, kind))
