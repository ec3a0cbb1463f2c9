"""`evol run` (grow a dataset) and `evol sim` (the offline OpenAI-compatible endpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evol.commands.app import command

Opt = typer.Option


@command("run")
def run_command(
    config: Annotated[Path, Opt("--config", "-c", help="TOML or shipped recipe")] = Path("pipelines/demo.toml"),
    base_url: Annotated[list[str] | None, Opt("--base-url", help="OpenAI-compatible URL (repeat for replicas)")] = None,
    model: Annotated[str | None, Opt(help="teacher model name")] = None,
    api_key_env: Annotated[str | None, Opt(help="env var holding the API key")] = None,
    rounds: Annotated[int | None, Opt(help="evolution rounds")] = None,
    seeds: Annotated[list[str] | None, Opt("--seeds", help="seed file or hf:owner/name[:split] (repeatable)")] = None,
    out: Annotated[Path | None, Opt(help="run directory (default: <out_dir>/<name>)")] = None,
    concurrency: Annotated[int | None, Opt(help="max requests in flight per endpoint")] = None,
    limit: Annotated[int | None, Opt(help="use only the first N seeds")] = None,
    seed: Annotated[int | None, Opt(help="RNG seed for method choice")] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="do not read or write the response cache")] = False,
) -> None:
    """Grow an instruction dataset; rerun the same command to resume an interrupted run."""
    from evol.commands.flags import RUN_FLAGS, check_flags
    from evol.config import PipelineConfig
    from evol.pipeline import run
    from evol.progress import RichView
    from evol.recipes import flag_overrides, load_recipe

    overrides = flag_overrides(base_url=base_url, model=model, api_key_env=api_key_env, rounds=rounds, seeds=seeds,
                               out=out, concurrency=concurrency, limit=limit, seed=seed, no_cache=no_cache)
    check_flags(PipelineConfig, {key: (flag, overrides.get(key)) for key, flag in RUN_FLAGS.items()})
    run(load_recipe(config, overrides), view=RichView())


@command("sim")
def sim_command(
    host: Annotated[str, Opt(help="bind address (loopback only by default)")] = "127.0.0.1",
    port: Annotated[int, Opt(help="0 picks a free port")] = 8000,
    port_file: Annotated[Path | None, Opt(help="write the bound port here once listening")] = None,
    model: Annotated[str, Opt(help="model name it reports")] = "evol-sim",
    latency: Annotated[float, Opt(help="seconds per request")] = 0.0,
    jitter: Annotated[float, Opt(help="extra uniform random seconds")] = 0.0,
    p429: Annotated[float, Opt(help="share of requests answered 429")] = 0.0,
    retry_after: Annotated[float | None, Opt(help="seconds sent as retry-after(-ms) with 429s")] = None,
    p500: Annotated[float, Opt(help="share answered 500")] = 0.0,
    p503: Annotated[float, Opt(help="share answered 503")] = 0.0,
    pdrop: Annotated[float, Opt(help="share of connections dropped without a reply")] = 0.0,
    pslow: Annotated[float, Opt(help="share answered 10x slower")] = 0.0,
    pmalformed: Annotated[float, Opt(help="share answered with a body that is not JSON")] = 0.0,
    ptruncate: Annotated[float, Opt(help="share cut short with finish_reason=length")] = 0.0,
    capacity: Annotated[int, Opt(help="requests served at once (0 = unlimited)")] = 0,
    overload: Annotated[str, Opt(help="past capacity: queue | 429 | 503")] = "queue",
    quota_after: Annotated[int | None, Opt(help="after N successes, answer 429 insufficient_quota")] = None,
    require_key: Annotated[str | None, Opt(help="answer 401 to any other bearer key")] = None,
    seed: Annotated[int, Opt(help="seed of the fault RNG")] = 0,
    log: Annotated[Path | None, Opt(help="append one line per request (hash of its body)")] = None,
    dialect: Annotated[str, Opt(help="teacher played: chat | reasoning (OpenAI o-series/GPT-5 rules)")] = "chat",
    think: Annotated[str, Opt(help="how thinking shows: none | inline (<think> in content) | field")] = "none",
    json_schema: Annotated[bool, Opt("--json-schema", help="honour response_format json_schema")] = False,
) -> None:
    """Serve the deterministic offline OpenAI-compatible endpoint (synthetic data, for trying evol)."""
    import asyncio
    from typing import get_args

    from evol.errors import ConfigError
    from evol.sim.dialect import SimDialect, Teacher, Think
    from evol.sim.faults import SimOptions
    from evol.sim.server import serve

    if overload not in ("queue", "429", "503"):
        raise ConfigError(f"--overload: expected queue, 429 or 503, got {overload!r}")
    for flag, value, allowed in (("--dialect", dialect, get_args(Teacher)), ("--think", think, get_args(Think))):
        if value not in allowed:
            raise ConfigError(f"{flag}: expected {' or '.join(allowed)}, got {value!r}")
    opts = SimOptions(host=host, port=port, model=model, latency=latency, jitter=jitter, p429=p429,
                      retry_after=retry_after, p500=p500, p503=p503, pdrop=pdrop, pslow=pslow,
                      pmalformed=pmalformed, ptruncate=ptruncate, capacity=capacity, overload=overload,  # type: ignore[arg-type]
                      quota_after=quota_after, api_key=require_key, seed=seed, log_path=str(log) if log else None,
                      dialect=SimDialect(dialect, think, json_schema))  # type: ignore[arg-type]

    def announce(bound: int) -> None:  # the bound port: `--port 0` picks one
        if port_file is None:
            typer.echo(f"evol sim: serving on http://{host}:{bound}/v1 (synthetic, deterministic)", err=True)

    try:
        asyncio.run(serve(opts, port_file, announce=announce))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the port is taken, or not ours to bind
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None
