"""The run: seeds -> round 0 (answer seeds) -> rounds 1..R (evolve, eliminate, answer, filter, dedup,
decontaminate) -> train.json and manifest.json. Resumable: rerun the same command after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from evol import __version__
from evol.config import PipelineConfig, resolve_base_urls, to_toml
from evol.errors import ConfigError
from evol.export import write_train_json
from evol.io import atomic_write_json, atomic_write_jsonl, atomic_write_text, read_jsonl
from evol.llm import LLMClient
from evol.preflight import check_endpoints
from evol.progress import RoundBar, funnel_table, make_progress, sim_banner
from evol.prompts import DEFAULT_PROMPTS_DIR, PromptSet
from evol.records import Record
from evol.round import (
    dedup_state_path,
    finalize,
    is_done,
    journal_ids,
    journal_path,
    next_pool,
    round_dir,
    stream_items,
)
from evol.seeds import load_seeds
from evol.stages.eliminate import elimination_rules
from evol.stages.item import ItemContext
from evol.stages.requests import RequestFactory
from evol.stages.response_filters import response_rules

SIM_MODEL = "evol-sim"
# Config fields that do not change the data: a resumed run may change them freely.
NON_DATA_FIELDS = {"endpoint": {"base_url", "api_key_env", "concurrency", "timeout", "max_attempts",
                                "item_deadline", "backoff_base", "transport"}, "cache": True, "prices": True}


@dataclass
class RunResult:
    run_dir: Path
    stats: list[dict[str, Any]]
    train_rows: int
    simulated: bool


def effective_model(cfg: PipelineConfig) -> str:
    """The model that will answer: the configured one, or the sim's when no endpoint is configured."""
    return cfg.endpoint.model if resolve_base_urls(cfg.endpoint) else SIM_MODEL


def data_digest(cfg: PipelineConfig) -> str:
    """A hash of the config fields that shape the data (a resume must not mix two configs)."""
    data = cfg.model_dump(mode="json")
    data["endpoint"]["model"] = effective_model(cfg)
    for key, sub in NON_DATA_FIELDS.items():
        if sub is True:
            data.pop(key, None)
        else:
            for field in sub:
                data[key].pop(field, None)
    return PipelineConfig.model_validate(data).digest()


@contextlib.contextmanager
def endpoint(cfg: PipelineConfig, console: Console, check: bool = True) -> Iterator[tuple[list[str], str, bool]]:
    """The endpoint URLs and model to use; starts the built-in simulator when none is configured."""
    urls = resolve_base_urls(cfg.endpoint)
    if urls and not check:
        yield urls, cfg.endpoint.model, False
        return
    if urls:
        yield check_endpoints(urls, cfg.endpoint.api_key_env, console), cfg.endpoint.model, False
        return
    from evol.sim.launch import SimProcess

    with SimProcess() as sim:
        sim_banner(console, sim.base_url)
        yield [sim.base_url], SIM_MODEL, True


def _check_run_dir(run_dir: Path, cfg: PipelineConfig) -> None:
    marker = run_dir / "manifest.json"
    if not marker.exists():
        return
    old = json.loads(marker.read_text()).get("data_digest")
    if old and old != data_digest(cfg):
        raise ConfigError(f"{run_dir}: this run was made with a different config (digest {old}); "
                          "use --out for a new run, or delete the folder to start over")


def _manifest(cfg: PipelineConfig, urls: list[str], model: str, simulated: bool, status: str,
              stats: list[dict[str, Any]], client: LLMClient | None, started: float) -> dict[str, Any]:
    return {
        "evol_version": __version__, "python": platform.python_version(),
        "packages": {name: _version(name) for name in ("openai", "aiohttp", "datasets", "datasketch")},
        "status": status, "config_digest": cfg.digest(),
        "data_digest": data_digest(cfg), "endpoints": urls, "model": model, "simulated": simulated,
        "rounds": [{k: s[k] for k in ("round", "pool", "kept", "seconds")} for s in stats],
        "kept_total": sum(s["kept"] for s in stats),
        "usage": client.ledger.rows() if client else [],
        "endpoint_limits": client.snapshot() if client else [],
        "seconds": round(time.time() - started, 2),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


async def _run_rounds(cfg: PipelineConfig, ctx: ItemContext, run_dir: Path, seeds: list[Record],
                      console: Console) -> list[dict[str, Any]]:
    from evol.dedup import DedupIndex

    all_stats: list[dict[str, Any]] = []
    pool = seeds
    index = None
    with make_progress(console) as progress:
        for round_no in range(cfg.rounds + 1):
            out = round_dir(run_dir, round_no)
            pool_path = out / ("seeds.jsonl" if round_no == 0 else "pool.jsonl")
            if is_done(run_dir, round_no):
                stats = json.loads((out / "stats.json").read_text())
                kept, rejected = list(read_jsonl(out / "kept.jsonl")), list(read_jsonl(out / "rejected.jsonl"))
                pool = list(read_jsonl(pool_path))
                console.print(f"round {round_no}: already done ({stats['kept']} kept), skipping")
            else:
                if pool_path.exists():  # a resumed round goes on with exactly the pool it started with
                    pool = list(read_jsonl(pool_path))
                else:
                    atomic_write_jsonl(pool_path, pool)
                if cfg.dedup.enabled and index is None:  # first round this process runs: resume the index
                    prev = dedup_state_path(run_dir, round_no - 1)
                    index = DedupIndex.load(cfg.dedup, prev) if prev.exists() else DedupIndex(cfg.dedup)
                journal = journal_path(run_dir, round_no)
                done = journal_ids(journal)
                bar = RoundBar(progress, "answer seeds" if round_no == 0 else f"round {round_no}", len(pool), len(done))
                await stream_items(ctx, pool, round_no, journal, done, cfg.endpoint.concurrency, bar)
                usage = ctx.client.ledger.by_stage(round_no)
                kept, rejected, stats = finalize(run_dir, round_no, pool, index, bar.started, usage)
            all_stats.append(stats)
            pool = next_pool(round_no, pool, kept, rejected, cfg.evolve.on_failed == "carry_parent")
    return all_stats


def run(cfg: PipelineConfig, console: Console | None = None, client_factory: Any = None) -> RunResult:
    """Run (or resume) a whole evolution run; returns its per-round stats.

    `client_factory` (with a `from_settings` like LLMClient's) replaces the client and skips the endpoint
    check: batch mode uses it to collect the requests a run still needs.
    """
    console = console or Console(stderr=True)
    if not console.is_terminal:
        console.width = max(console.width, 132)
    started = time.time()
    run_dir = cfg.run_dir()
    _check_run_dir(run_dir, cfg)
    prompts = PromptSet(list(cfg.evolve.methods), Path(cfg.prompts_dir) if cfg.prompts_dir else DEFAULT_PROMPTS_DIR)
    seeds, duplicates = load_seeds(cfg.seeds.paths, cfg.limit)  # fully validated before anything is written
    decontaminator = None
    if cfg.decontam.enabled:
        from evol.dedup import Decontaminator

        decontaminator = Decontaminator(cfg.decontam)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.resolved.toml", to_toml(cfg))
    if duplicates:
        console.print(f"seeds: dropped {duplicates} exact duplicate(s)")
    with endpoint(cfg, console, check=client_factory is None) as (urls, model, simulated):
        cache_path = run_dir / "cache.sqlite" if cfg.cache else None
        client = (client_factory or LLMClient).from_settings(cfg.endpoint, urls, cache_path=cache_path,
                                                             sampling=cfg.sampling)
        ctx = ItemContext(client, RequestFactory(cfg, prompts, model), elimination_rules(cfg.eliminate),
                          response_rules(cfg.filters), decontaminator, model, cfg.eliminate.judge, cfg.seeds.answer,
                          cfg.endpoint.item_deadline)
        manifest = _manifest(cfg, urls, model, simulated, "running", [], None, started)
        atomic_write_json(run_dir / "manifest.json", manifest)
        stats: list[dict[str, Any]] = []
        try:
            stats = asyncio.run(_run_and_close(cfg, ctx, client, run_dir, seeds, console))
        finally:
            status = "finished" if len(stats) == cfg.rounds + 1 else "interrupted"
            atomic_write_json(run_dir / "manifest.json",
                              _manifest(cfg, urls, model, simulated, status, stats, client, started))
    rows = write_train_json(run_dir)
    console.print(funnel_table(stats))
    console.print(f"[bold green]done[/bold green]: {rows} training rows in {run_dir / 'train.json'}"
                  + ("  [bold yellow](SYNTHETIC: simulated endpoint)[/bold yellow]" if simulated else ""))
    return RunResult(run_dir, stats, rows, simulated)


async def _run_and_close(cfg: PipelineConfig, ctx: ItemContext, client: LLMClient, run_dir: Path,
                         seeds: list[Record], console: Console) -> list[dict[str, Any]]:
    try:
        return await _run_rounds(cfg, ctx, run_dir, seeds, console)
    finally:
        await client.aclose()
