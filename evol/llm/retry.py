"""The one retry policy: classify an exception, and compute full-jitter backoff honouring retry-after."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import openai

RETRY_STATUS = {408, 409, 429}
OVERLOAD_STATUS = {429, 503}


@dataclass(frozen=True)
class Verdict:
    """What to do about one failed attempt."""

    kind: str  # short name used in reasons: rate_limit, server_error, connection, timeout, malformed, ...
    retry: bool
    fatal: bool = False  # stop the whole run (bad key, no quota)
    overload: bool = False  # a signal to shrink the concurrency limit
    retry_after: float | None = None


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers if exc.response is not None else {}
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body) if isinstance(body, dict) else {}
    return str((inner or {}).get("code") or (inner or {}).get("type") or "")


def classify(exc: BaseException) -> Verdict:
    """The retry classifier: which failures are transient, which end the item, which end the run."""
    if isinstance(exc, openai.APITimeoutError):
        return Verdict("timeout", retry=True)
    if isinstance(exc, openai.APIConnectionError):
        return Verdict("connection", retry=True)
    if isinstance(exc, (json.JSONDecodeError, openai.APIResponseValidationError, MalformedReply)):
        return Verdict("malformed", retry=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 401:
            return Verdict("auth", retry=False, fatal=True)
        if status == 429 and _error_code(exc) == "insufficient_quota":
            return Verdict("insufficient_quota", retry=False, fatal=True)
        if status in RETRY_STATUS or status >= 500:
            kind = {429: "rate_limit", 408: "timeout", 409: "conflict"}.get(status, "server_error")
            return Verdict(kind, retry=True, overload=status in OVERLOAD_STATUS, retry_after=_retry_after(exc))
        return Verdict(f"http_{status}", retry=False)
    return Verdict(type(exc).__name__, retry=False)


class MalformedReply(Exception):
    """The endpoint answered 200 with a body we cannot use (no choices, no text)."""


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff for attempt 1, 2, ...; never shorter than the server's retry-after."""
    delay = random.uniform(0.0, min(cap, base * 2 ** (attempt - 1)))
    return max(delay, retry_after or 0.0)
