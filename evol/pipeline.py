"""The run: seeds -> round 0 (answer seeds) -> rounds 1..R (evolve, eliminate, answer, filter, dedup,
decontaminate) -> train.json and manifest.json. Resumable: rerun the same command after a crash."""

from __future__ import annotations

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

from evol.calls import open_call_log
from evol.config import PipelineConfig, resolve_base_urls, to_toml
from evol.datafields import data_view, differences, digest_of
from evol.errors import ConfigError
from evol.export import write_train_json
from evol.io import atomic_write_jsonl, read_jsonl, storage_error
from evol.llm import LLMClient
from evol.loops import run_async
from evol.preflight import check_requirements, listed, model_warnings, probe_endpoints
from evol.pricing import closing_price, cost_line
from evol.prompts import PromptSet
from evol.records import Record
from evol.resources import seed_path
from evol.round import (
    check_pending,
    dedup_state_path,
    finalize,
    is_done,
    journal_ids,
    journal_path,
    next_pool,
    stream_items,
)
from evol.round_pending import EndpointDown, ItemsPending
from evol.rundir import RUN_ADVICE, RunDir
from evol.runview import QuietView, RunView
from evol.seeds import load_seeds
from evol.stages.adapt import adapted_weights, normalised
from evol.stages.compose import prompt_set, run_stages
from evol.stages.context import ItemContext
from evol.stages.eliminate import elimination_rules
from evol.stages.requests import RequestFactory
from evol.stages.response_filters import response_rules
from evol.stages.roles import role_clients
from evol.version import __version__

SIM_MODEL = "evol-sim"


@dataclass
class RunResult:
    run_dir: Path
    stats: list[dict[str, Any]]
    train_rows: int
    simulated: bool  # the data is synthetic: evol's simulator answered


def effective_model(cfg: PipelineConfig) -> str:
    """The model that will answer: the configured one, or the sim's when no endpoint is configured."""
    return cfg.endpoint.model if resolve_base_urls(cfg.endpoint) else SIM_MODEL


def data_config(cfg: PipelineConfig) -> dict[str, Any]:
    """The config fields that shape the data (those not marked NotData), with the model that will answer."""
    data = data_view(cfg)
    data["endpoint"]["model"] = effective_model(cfg)
    if not cfg.stages.extra:  # runs made before [stages] existed resume
        data.pop("stages", None)
    return data


def data_digest(cfg: PipelineConfig) -> str:
    """A hash of `data_config` (a resume must not mix two configs)."""
    return digest_of(data_config(cfg))


@dataclass
class Served:
    """Who answers the run: URLs, model, whether evol started its simulator (`simulated`), whether the data
    is synthetic (the simulator answers, however reached), and the models each URL lists (for messages)."""

    urls: list[str]
    model: str
    simulated: bool
    synthetic: bool
    listed: dict[str, str]


@contextlib.contextmanager
def endpoint(cfg: PipelineConfig, console: Console) -> Iterator[Served]:
    """The endpoints and model to use; starts the built-in simulator when none is configured."""
    urls = resolve_base_urls(cfg.endpoint)
    if urls:
        infos = probe_endpoints(urls, cfg.endpoint.api_key_env, console)
        for warning in model_warnings(infos, cfg.endpoint.model):
            console.print(f"[yellow]warning[/yellow]: {warning}")
        synthetic = [i.url for i in infos if i.synthetic]
        if synthetic:
            from evol.sim.launch import synthetic_banner

            synthetic_banner(console, synthetic)
        yield Served([i.url for i in infos], cfg.endpoint.model, False, bool(synthetic),
                     {i.url: listed(i.models) for i in infos if i.models})
        return
    from evol.sim.launch import SimProcess, sim_banner

    with SimProcess("--json-schema") as sim:  # the built-in sim honours response_format (tests stage)
        sim_banner(console, sim.base_url)
        yield Served([sim.base_url], SIM_MODEL, True, True, {})


def same_seed_files(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether two data configs differ only in how seeds.paths spell the same files (a shipped recipe run from
    another folder finds its seeds by an absolute path): each pair of paths holds the same bytes."""
    if not old or [k for k in differences(old, new) if not k.startswith("seeds.paths:")]:
        return False
    before, after = old.get("seeds", {}).get("paths", []), new.get("seeds", {}).get("paths", [])
    if len(before) != len(after):
        return False
    for a, b in zip(before, after, strict=True):
        if a == b:
            continue
        first, second = Path(seed_path(a)), Path(seed_path(b))
        if str(a).startswith("hf:") or str(b).startswith("hf:") or not (first.is_file() and second.is_file()):
            return False
        if first.stat().st_size != second.stat().st_size or first.read_bytes() != second.read_bytes():
            return False
    return True


def _check_run_dir(run_dir: Path, cfg: PipelineConfig) -> None:
    manifest = RunDir(run_dir).read_manifest()
    if manifest is None:
        return
    old = manifest.get("data_digest")
    if old and old != data_digest(cfg) and not same_seed_files(manifest.get("data_config"), data_config(cfg)):
        diff = differences(manifest.get("data_config") or {}, data_config(cfg)) if "data_config" in manifest else []
        why = "; ".join(diff) or f"digest {old}"
        raise ConfigError(f"{run_dir}: this run was made with a different config ({why}); use --out (make: OUT=) "
                          "for a new run, or delete the folder to start over")
    if is_done(run_dir, cfg.rounds + 1):
        raise ConfigError(f"{run_dir}: rounds: this run already finished round {cfg.rounds + 1}, more than "
                          f"--rounds {cfg.rounds}; raise --rounds to extend it (export --max-round for fewer rounds)")


def _manifest(cfg: PipelineConfig, served: Served, status: str,
              stats: list[dict[str, Any]], client: LLMClient | None, started: float) -> dict[str, Any]:
    return {
        "evol_version": __version__, "python": platform.python_version(),
        "packages": {name: _version(name) for name in ("openai", "aiohttp", "datasets", "datasketch")},
        "status": status, "config_digest": cfg.digest(),
        "data_digest": data_digest(cfg), "data_config": data_config(cfg),
        "endpoints": served.urls, "model": served.model, "simulated": served.simulated,
        "synthetic": served.synthetic,
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
                      console: Console, view: RunView) -> list[dict[str, Any]]:
    from evol.dedup import DedupIndex

    all_stats: list[dict[str, Any]] = []
    pool = seeds
    index = None
    files = RunDir(run_dir)
    with view.rounds(console, ctx.stages) as new_bar:
        for round_no in range(cfg.rounds + 1):
            pool_path = files.pool(round_no)
            if is_done(run_dir, round_no):
                stats = json.loads(files.stats(round_no).read_text())
                kept, rejected = list(read_jsonl(files.kept(round_no))), list(read_jsonl(files.rejected(round_no)))
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
                started = time.monotonic()
                bar = new_bar("answer seeds" if round_no == 0 else f"round {round_no}", len(pool), len(done))
                weights = _round_weights(cfg, round_no, all_stats)
                with contextlib.suppress(EndpointDown):  # what is left is counted as pending just below
                    await stream_items(ctx, pool, round_no, journal, done, cfg.endpoint.concurrency, bar,
                                       weights if cfg.evolve.adapt else None)
                if ctx.calls_log is not None:
                    ctx.calls_log.flush()
                check_pending(journal, pool, round_no, started, all_stats)
                usage = ctx.client.ledger.by_stage(round_no)
                for other in ctx.clients.values():
                    usage.update(other.ledger.by_stage(round_no))
                kept, rejected, stats = finalize(run_dir, round_no, pool, index, started, usage,
                                                 {"method_weights": weights} if round_no else {}, ctx.stages)
            all_stats.append(stats)
            pool = next_pool(round_no, pool, kept, rejected, cfg.evolve.on_failed == "carry_parent",
                             cfg.verify.enabled and cfg.verify.unverified_parents == "drop", ctx.stages)
    return all_stats


def _round_weights(cfg: PipelineConfig, round_no: int, done: list[dict[str, Any]]) -> dict[str, float]:
    """The method mix a round draws from: adapted from the earlier evolution rounds' yield, or as configured."""
    if cfg.evolve.adapt and round_no > 1:
        return adapted_weights(cfg.evolve.methods, done[1:], cfg.evolve.adapt_floor)
    return normalised(cfg.evolve.methods)


@dataclass
class _Inputs:
    """What a run reads before it writes anything: its stages, prompts, validated seeds, the decontaminator."""

    stages: list[Any]
    prompts: PromptSet
    seeds: list[Record]
    duplicates: int
    decontaminator: Any | None


def _inputs(cfg: PipelineConfig) -> _Inputs:
    """Stages, prompts (a missing variable fails here), seeds and benchmarks, read before the run folder is touched."""
    stages = run_stages(cfg)
    prompts = prompt_set(cfg, stages)
    seeds, duplicates = load_seeds(cfg.seeds.paths, cfg.limit)  # fully validated before anything is written
    decontaminator = None
    if cfg.decontam.enabled:
        from evol.decontam import Decontaminator

        decontaminator = Decontaminator(cfg.decontam)
    return _Inputs(stages, prompts, seeds, duplicates, decontaminator)


def _context(cfg: PipelineConfig, inputs: _Inputs, client: Any, model: str) -> ItemContext:
    """What every item of the run shares, its requests going to ``client`` for ``model``."""
    return ItemContext(client=client, requests=RequestFactory(cfg, inputs.prompts, model),
                       elimination=elimination_rules(cfg.eliminate, tested_gain=cfg.verify.enabled),
                       responses=response_rules(cfg.filters, cfg.sandbox), decontaminator=inputs.decontaminator,
                       judge=cfg.eliminate.judge, answer_seeds=cfg.seeds.answer,
                       item_deadline=cfg.endpoint.item_deadline, verify=cfg.verify, keep_reasoning=cfg.reasoning.keep,
                       sandbox=_sandbox(cfg) if cfg.verify.enabled else None, stages=inputs.stages)


def run_rounds(cfg: PipelineConfig, client: Any, model: str, console: Console,
               view: RunView | None = None) -> list[dict[str, Any]]:
    """The rounds alone (resuming what the folder holds), every request sent to ``client``.

    No endpoint is started or checked and no manifest or train.json is written: batch mode replays a
    scratch copy of a run with a cache-only client to collect the requests the run still needs.
    ``client`` needs LLMClient's ``complete``, ``ledger``, ``snapshot`` and ``aclose``.
    """
    inputs = _inputs(cfg)
    cfg.run_dir().mkdir(parents=True, exist_ok=True)
    ctx = _context(cfg, inputs, client, model)
    return run_async(_run_and_close(cfg, ctx, client, cfg.run_dir(), inputs.seeds, console, view or QuietView()))


def run(cfg: PipelineConfig, console: Console | None = None, view: RunView | None = None) -> RunResult:
    """Run (or resume) a whole evolution run; returns its per-round stats. ``view`` shows its progress.

    One run per folder: the folder's lock (RunDir.locked) is held throughout; a second run stops at once
    (RunBusy). Works from a running event loop too (a notebook): the rounds then run in a thread of their own.
    """
    view = view or QuietView()
    console = console or Console(stderr=True)
    if not console.is_terminal:
        console.width = max(console.width, 132)
    started = time.time()
    files = RunDir(cfg.run_dir())
    files.check_not_running(RUN_ADVICE)  # a quick look first: a second run stops before reading seeds or benchmarks
    _check_run_dir(files.path, cfg)
    inputs = _inputs(cfg)
    check_requirements(cfg, inputs.stages)
    with files.locked():
        return _run_locked(cfg, files, inputs, console, started, view)


def _run_locked(cfg: PipelineConfig, files: RunDir, inputs: _Inputs, console: Console, started: float,
                view: RunView) -> RunResult:
    run_dir = files.path
    files.write_resolved_config(to_toml(cfg))
    if inputs.duplicates:
        console.print(f"seeds: dropped {inputs.duplicates} exact duplicate(s)")
    with endpoint(cfg, console) as served:
        cache_path = files.cache if cfg.cache else None
        client = LLMClient.from_settings(cfg.endpoint, served.urls, cache_path=cache_path, sampling=cfg.sampling)
        client.listed_models = served.listed
        calls = open_call_log(run_dir, cfg.calls)
        client.on_call = calls.record if calls else None
        ctx = _context(cfg, inputs, client, served.model)
        ctx.clients = role_clients(cfg, cache_path)
        ctx.calls_log = calls
        manifest = _manifest(cfg, served, "running", [], None, started)
        files.write_manifest(manifest)
        stats: list[dict[str, Any]] = []
        failure, waiting = None, 0
        try:
            stats = run_async(_run_and_close(cfg, ctx, client, run_dir, inputs.seeds, console, view))
        except ItemsPending as pending:  # the closing table shows the pending items apart from the rejected
            _print_closing(console, view, pending.stats, cfg, served)
            stats, waiting = pending.stats[:-1], len(pending.pending)
            raise
        except Exception as exc:  # disk full, read-only, ...: the manifest says so, the CLI says it in one line
            failure = storage_error(exc, run_dir)
            if failure is None:
                raise
            raise failure from None
        finally:
            if calls:
                calls.close()
            status = "finished" if len(stats) == cfg.rounds + 1 else "interrupted"
            manifest = _manifest(cfg, served, status, stats, client, started)
            manifest["pending"] = waiting
            files.write_manifest(manifest, failure)
    rows = write_train_json(run_dir)
    _print_closing(console, view, stats, cfg, served)
    console.print(f"[bold green]done[/bold green]: {rows} training rows in {files.train}"
                  + ("  [bold yellow](SYNTHETIC: simulated endpoint)[/bold yellow]" if served.synthetic else ""))
    return RunResult(run_dir, stats, rows, served.synthetic)


def _print_closing(console: Console, view: RunView, stats: list[dict[str, Any]], cfg: PipelineConfig,
                   served: Served) -> None:
    """The view's closing table (if it has one) and, under it, the run's tokens and dollars."""
    funnel = view.funnel(stats)
    if funnel is None:
        return
    console.print(funnel)
    price = closing_price(cfg.prices, served.model, cfg.endpoint.model, served.synthetic)
    console.print(cost_line(stats, price, served.model, served.synthetic), markup=False)


def _sandbox(cfg: PipelineConfig) -> Any:
    """The sandbox verification runs answers in: the `[sandbox]` backend (local, or a Ray cluster)."""
    from evol.sandbox.settings import build_sandbox

    return build_sandbox(cfg.sandbox)


async def _run_and_close(cfg: PipelineConfig, ctx: ItemContext, client: Any, run_dir: Path,
                         seeds: list[Record], console: Console, view: RunView) -> list[dict[str, Any]]:
    try:
        return await _run_rounds(cfg, ctx, run_dir, seeds, console, view)
    finally:
        for other in ctx.clients.values():
            await other.aclose()
        await client.aclose()
