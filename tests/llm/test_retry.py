"""The retry classifier and the backoff."""

from __future__ import annotations

import json
import random

import aiohttp
import httpx2
import openai
import pytest

from evol.llm.retry import MalformedReply, StatusError, backoff, classify, retry_after


def sdk_status(status: int, body: dict | None = None, headers: dict | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://x/v1/chat/completions")
    response = httpx2.Response(status, headers=headers or {}, request=request, json=body or {})
    cls = {400: openai.BadRequestError, 401: openai.AuthenticationError, 403: openai.PermissionDeniedError,
           404: openai.NotFoundError, 409: openai.ConflictError, 422: openai.UnprocessableEntityError,
           429: openai.RateLimitError}.get(status)
    cls = cls or (openai.InternalServerError if status >= 500 else openai.APIStatusError)
    return cls("error", response=response, body=body)


@pytest.mark.parametrize("status,kind", [(408, "timeout"), (409, "conflict"), (429, "rate_limit"),
                                         (500, "server_error"), (502, "server_error"), (503, "server_error"),
                                         (504, "server_error")])
@pytest.mark.parametrize("raw", [True, False])
def test_transient_statuses_are_retried(status: int, kind: str, raw: bool) -> None:
    exc = StatusError(status, {"error": {"message": "x"}}, {}) if raw else sdk_status(status)
    verdict = classify(exc)
    assert verdict.retry and not verdict.fatal and verdict.kind == kind
    assert verdict.overload == (status in (429, 503))


@pytest.mark.parametrize("status", [400, 403, 404, 422])
@pytest.mark.parametrize("raw", [True, False])
def test_client_errors_are_never_retried(status: int, raw: bool) -> None:
    exc = StatusError(status, {"error": {"message": "bad"}}, {}) if raw else sdk_status(status)
    verdict = classify(exc)
    assert not verdict.retry and not verdict.fatal and verdict.kind == f"http_{status}"


@pytest.mark.parametrize("raw", [True, False])
def test_auth_and_quota_stop_the_run(raw: bool) -> None:
    quota = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                       "code": "insufficient_quota"}}
    auth = StatusError(401, {}, {}) if raw else sdk_status(401)
    no_quota = StatusError(429, quota, {}) if raw else sdk_status(429, quota)
    assert classify(auth).fatal and classify(auth).kind == "auth"
    assert classify(no_quota).fatal and classify(no_quota).kind == "insufficient_quota"
    assert not classify(no_quota).retry


def test_retry_after_headers() -> None:
    assert classify(StatusError(429, {}, {"retry-after-ms": "250"})).retry_after == 0.25
    assert classify(StatusError(429, {}, {"retry-after": "2"})).retry_after == 2.0
    assert classify(sdk_status(429, headers={"retry-after-ms": "1500", "retry-after": "9"})).retry_after == 1.5
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after({}) is None


@pytest.mark.parametrize("exc,kind", [
    (json.JSONDecodeError("Expecting value", "{", 1), "malformed"),
    (MalformedReply("no choices"), "malformed"),
    (aiohttp.ServerDisconnectedError(), "connection"),
    (aiohttp.ClientOSError(104, "reset"), "connection"),
    (aiohttp.ClientPayloadError("truncated"), "connection"),
    (ConnectionResetError(), "connection"),
    (TimeoutError(), "timeout"),
    (aiohttp.ServerTimeoutError(), "timeout"),
    (openai.APITimeoutError(request=httpx2.Request("POST", "http://x")), "timeout"),
    (openai.APIConnectionError(request=httpx2.Request("POST", "http://x")), "connection"),
    (httpx2.ReadError("eof"), "connection"),
])
def test_transport_failures_are_retried(exc: BaseException, kind: str) -> None:
    verdict = classify(exc)
    assert verdict.retry and verdict.kind == kind and not verdict.overload


def test_programming_errors_are_not_classified() -> None:
    """A bug (TypeError, ValueError, ...) is no endpoint failure: the client lets it propagate."""
    assert classify(ValueError("bug")) is None and classify(TypeError("bug")) is None


def test_full_jitter_backoff_is_bounded_and_honours_retry_after() -> None:
    rng = random.Random(0)
    for attempt in range(1, 12):
        delays = [backoff(attempt, 0.5, 30.0, rng=rng) for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= min(30.0, 0.5 * 2 ** (attempt - 1))
    assert min(backoff(1, 0.5, retry_after=3.0, rng=rng) for _ in range(50)) >= 3.0
    spread = [backoff(4, 1.0, rng=rng) for _ in range(500)]
    assert min(spread) < 1.0 < 7.0 < max(spread)  # full jitter: anywhere in [0, 8)
