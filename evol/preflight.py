"""Fail fast on an endpoint that cannot work, before a single item is spent on it."""

from __future__ import annotations

import os
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from evol.errors import EndpointError


def check_endpoint(base_url: str, api_key_env: str, timeout: float = 10.0, attempts: int = 3) -> None:
    """GET <base_url>/models: unreachable or 401/403 stop the run now; other answers let it go on.

    A connection error is tried `attempts` times a second apart (a server may be restarting). Servers
    without /models (404, 405) are fine: the first real request will tell.
    """
    key = os.environ.get(api_key_env, "")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        for attempt in Retrying(stop=stop_after_attempt(attempts), wait=wait_fixed(1.0), reraise=True,
                                retry=retry_if_exception_type(httpx.TransportError)):
            with attempt:
                resp = httpx.get(base_url.rstrip("/") + "/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise EndpointError(f"{base_url}: cannot reach the endpoint ({type(exc).__name__}: {exc})") from None
    if resp.status_code in (401, 403):
        raise EndpointError(f"{base_url}: the endpoint refused the API key from ${api_key_env} "
                            f"(HTTP {resp.status_code}); set it, or use --api-key-env")


def check_endpoints(urls: list[str], api_key_env: str, console: Any = None) -> list[str]:
    """The reachable endpoints of `urls`; an EndpointError when none is (or when one refuses the key)."""
    live, errors = [], []
    for url in urls:
        try:
            check_endpoint(url, api_key_env)
            live.append(url)
        except EndpointError as exc:
            if "refused the API key" in str(exc):
                raise
            errors.append(str(exc))
    if not live:
        raise EndpointError("; ".join(errors))
    for err in errors:
        if console is not None:
            console.print(f"[yellow]warning[/yellow]: {err}; going on with the other endpoint(s)")
    return live
