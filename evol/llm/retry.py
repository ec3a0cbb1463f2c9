"""The one retry policy: classify an exception, and compute full-jitter backoff honouring retry-after.

Works on the errors of both transports: the raw aiohttp one (StatusError, aiohttp/OS errors) and the
openai SDK (APIStatusError, APIConnectionError, bare JSONDecodeError for a body that is not JSON).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

RETRY_STATUS = {408, 409, 429}
OVERLOAD_STATUS = {429, 503}


class StatusError(Exception):
    """A non-2xx reply from the raw transport (the SDK raises openai.APIStatusError instead)."""

    def __init__(self, status_code: int, body: Any, headers: Mapping[str, str]) -> None:
        self.status_code, self.body, self.headers = status_code, body, headers
        message = _inner(body).get("message") if isinstance(body, dict) else (str(body)[:200] if body else "")
        super().__init__(f"HTTP {status_code}: {message or 'error'}")


class MalformedReply(Exception):
    """The endpoint answered 200 with a body we cannot use (no choices, no text)."""


@dataclass(frozen=True)
class RetryDecision:
    """What to do about one failed attempt."""

    kind: str  # short name used in reasons: rate_limit, server_error, connection, timeout, malformed, ...
    retry: bool
    fatal: bool = False  # stop the whole run (bad key, no quota): read by evol.llm.fatal
    overload: bool = False  # a signal to shrink the concurrency limit
    retry_after: float | None = None
    status: int | None = None


def _inner(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    inner = body.get("error", body)
    return inner if isinstance(inner, dict) else {}


def _headers(exc: BaseException) -> Mapping[str, str]:
    if isinstance(exc, StatusError):
        return exc.headers
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None) or {}


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds asked for by retry-after-ms or retry-after (seconds; an HTTP date is ignored)."""
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def error_code(exc: BaseException) -> str:
    """The error code or type of an OpenAI-style error body ("insufficient_quota", ...)."""
    inner = _inner(getattr(exc, "body", None))
    return str(inner.get("code") or inner.get("type") or "")


def _model_not_found(exc: BaseException) -> bool:
    """A 404 that says the model does not exist (OpenAI's code `model_not_found`, vLLM's and others' text)."""
    if error_code(exc) == "model_not_found":
        return True
    inner = _inner(getattr(exc, "body", None))
    text = str(inner.get("message") or exc).lower()
    return "model" in text and ("does not exist" in text or "not found" in text)


def _status_kind(status: int) -> str:
    return {429: "rate_limit", 408: "timeout", 409: "conflict"}.get(status, "server_error" if status >= 500
                                                                        else f"http_{status}")


class _NoSDK(Exception):
    """Stands in for the openai SDK's error classes while the SDK is not imported (nothing can raise them)."""


def _sdk(name: str) -> type[BaseException]:
    openai = sys.modules.get("openai")  # imported lazily: it costs 0.6 s, and the default transport needs none
    return getattr(openai, name, _NoSDK) if openai is not None else _NoSDK


def classify(exc: BaseException) -> RetryDecision | None:
    """The retry classifier: which failures are transient, which end the item, which end the run.

    None for an exception that is not a reply or transport failure (a TypeError, say): that is a bug,
    and the caller lets it propagate instead of turning it into a rejected item.
    """
    status = getattr(exc, "status_code", None)
    if isinstance(exc, (StatusError, _sdk("APIStatusError"))) and isinstance(status, int):
        if status == 401:
            return RetryDecision("auth", retry=False, fatal=True, status=status)
        if status == 429 and error_code(exc) == "insufficient_quota":
            return RetryDecision("insufficient_quota", retry=False, fatal=True, status=status)
        if status == 404 and _model_not_found(exc):
            return RetryDecision("model_not_found", retry=False, fatal=True, status=status)
        if status in RETRY_STATUS or status >= 500:
            return RetryDecision(_status_kind(status), retry=True, overload=status in OVERLOAD_STATUS,
                           retry_after=retry_after(_headers(exc)), status=status)
        return RetryDecision(_status_kind(status), retry=False, status=status)
    if isinstance(exc, (_sdk("APITimeoutError"), asyncio.TimeoutError, TimeoutError, aiohttp.ServerTimeoutError)):
        return RetryDecision("timeout", retry=True)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError, _sdk("APIResponseValidationError"),
                        MalformedReply, aiohttp.ContentTypeError)):
        return RetryDecision("malformed", retry=True)
    if isinstance(exc, (_sdk("APIConnectionError"), aiohttp.ClientError, ConnectionError, OSError)):
        return RetryDecision("connection", retry=True)
    if _is_transport_error(exc):
        return RetryDecision("connection", retry=True)
    return None


def _is_transport_error(exc: BaseException) -> bool:
    """httpx / httpx2 transport errors raised while reading a body outside the SDK's own wrapping."""
    for cls in type(exc).__mro__:
        if cls.__name__ == "TransportError" and cls.__module__.split(".")[0] in ("httpx", "httpx2"):
            return True
    return False


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0, retry_after: float | None = None,
            rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for attempt 1, 2, ...; never shorter than the server's retry-after."""
    delay = (rng or random).uniform(0.0, min(cap, base * 2 ** (attempt - 1)))
    return max(delay, retry_after or 0.0)
