"""Fail fast on an endpoint that cannot work, or a machine that lacks what the run's stages need, before a single
item is spent on it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from evol.errors import ConfigError, EndpointError
from evol.llm.fatal import RunStopped, keyed, stop_now, stopped
from evol.llm.retry import StatusError, classify
from evol.sim.mark import is_synthetic

NO_MODELS_ROUTE = (404, 405)  # a server without /models: the first real request will tell
SHOWN_MODELS = 10  # listed models named in a warning or error


@dataclass(frozen=True)
class EndpointInfo:
    """What an endpoint's /models says: the models it lists (None: it lists none) and whether it is evol's
    simulator (its data is synthetic)."""

    url: str
    models: list[str] | None = None
    synthetic: bool = False


def listed(models: list[str]) -> str:
    """The listed model names, for a message."""
    more = len(models) - SHOWN_MODELS
    return ", ".join(models[:SHOWN_MODELS]) + (f" and {more} more" if more > 0 else "")


def check_endpoint(base_url: str, api_key_env: str, timeout: float = 10.0, attempts: int = 3) -> EndpointInfo:
    """GET <base_url>/models: unreachable raises EndpointError, and what the client's one fatal-error
    policy (evol.llm.fatal) calls fatal, a refused key (401/403) or no quota, raises RunStopped.

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
    if resp.status_code < 300:
        return _info(base_url, resp)
    if resp.status_code in NO_MODELS_ROUTE:
        return EndpointInfo(base_url, synthetic=is_synthetic(resp.headers))
    try:
        body = resp.json()
    except ValueError:
        body = resp.text[:500]
    verdict = classify(StatusError(resp.status_code, body, resp.headers))
    verdict = keyed(verdict, api_key_env) if verdict is not None else None
    why = stop_now(verdict, successes=0) if verdict is not None else None
    if verdict is not None and why is not None:
        said = (f"GET /models: HTTP {resp.status_code}; {api_key_env} is not set" if verdict.kind == "no_key"
                else f"GET /models with the key from ${api_key_env}: HTTP {resp.status_code}")
        raise stopped(base_url, why, said, verdict.kind)
    return EndpointInfo(base_url, synthetic=is_synthetic(resp.headers))


def _info(base_url: str, resp: httpx.Response) -> EndpointInfo:
    try:
        body = resp.json()
    except ValueError:
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    models = [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")] if isinstance(data, list) else []
    return EndpointInfo(base_url, models or None, is_synthetic(resp.headers, body))


def check_endpoints(urls: list[str], api_key_env: str, console: Any = None) -> list[str]:
    """The reachable endpoints of `urls`; an EndpointError when none is (or when one refuses the key)."""
    return [info.url for info in probe_endpoints(urls, api_key_env, console)]


def probe_endpoints(urls: list[str], api_key_env: str, console: Any = None) -> list[EndpointInfo]:
    """What the reachable endpoints of `urls` list; an EndpointError when none is reachable (or when one
    refuses the key)."""
    live, errors = [], []
    for url in urls:
        try:
            live.append(check_endpoint(url, api_key_env))
        except RunStopped:
            raise
        except EndpointError as exc:
            errors.append(str(exc))
    if not live:
        raise EndpointError("; ".join(errors))
    for err in errors:
        if console is not None:
            console.print(f"[yellow]warning[/yellow]: {err}; going on with the other endpoint(s)")
    return live


def model_warnings(infos: list[EndpointInfo], model: str) -> list[str]:
    """One warning per endpoint that lists models but not `model` (some servers load models on demand and
    list only some, so this is no error: a model-not-found reply stops the run)."""
    return [f"{info.url} does not list the model {model!r} (it lists: {listed(info.models)}); going on, as "
            "some servers load models on demand" for info in infos if info.models and model not in info.models]


def check_requirements(cfg: Any, stages: list[Any]) -> None:
    """A ConfigError, one line, when this machine lacks what a stage the run uses declares it needs
    (a system tool, a sandbox runner, a Python extra, the sandbox itself: evol/stages/requires.py)."""
    from evol.stages.compose import requirements
    from evol.stages.requires import unmet

    missing = unmet(requirements(cfg, stages))
    if missing:
        raise ConfigError("; ".join(missing))
