"""`evol estimate` (calls, tokens and cost before spending) and `evol batch ...` (the Batch API route)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from evol.commands.app import app, command, friendly
from evol.rundir import RunDir

Opt = typer.Option
ConfigOpt = Annotated[Path, Opt("--config", "-c", help="pipeline TOML")]
OutOpt = Annotated[Path | None, Opt(help="run directory (default: <out_dir>/<name>)")]
BaseUrlOpt = Annotated[list[str] | None, Opt("--base-url", help="OpenAI-compatible URL (repeat for replicas)")]
ModelOpt = Annotated[str | None, Opt(help="teacher model name")]


def _config(config: Path, out: Path | None = None, **overrides: Any) -> Any:
    from evol.commands.flags import check_flags, flag_of
    from evol.config import PipelineConfig
    from evol.recipes import load_recipe

    flat = {k.replace("__", "."): v for k, v in overrides.items()}
    check_flags(PipelineConfig, {k.replace("__", "."): (flag_of(k), v) for k, v in overrides.items()})
    if out is not None:
        flat.update({"out_dir": str(out.parent), "name": out.name})
    return load_recipe(config, flat)


@command("estimate")
def estimate_command(
    config: ConfigOpt = Path("pipelines/demo.toml"),
    model: ModelOpt = None,
    rounds: Annotated[int | None, Opt(help="evolution rounds")] = None,
    limit: Annotated[int | None, Opt(help="use only the first N seeds")] = None,
    as_json: Annotated[bool, Opt("--json", help="print JSON")] = False,
) -> None:
    """Expected calls, tokens and cost of a run (nothing is sent)."""
    from rich.console import Console
    from rich.table import Table

    from evol.plan.estimate import estimate

    cfg = _config(config, endpoint__model=model, rounds=rounds, limit=limit)
    est = estimate(cfg)
    if as_json:
        typer.echo(json.dumps(est, indent=2))
        return
    table = Table(title=f"evol estimate: {est['seeds']} seeds, {est['rounds']} rounds, model {est['model']}")
    thinks = bool(est["total"].get("reasoning_tokens"))  # a reasoning teacher: its thinking, within completion
    for col in ("stage", "rounds", "calls", "prompt tokens", "completion tokens", *(["of which reasoning"] * thinks)):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for row in [*est["stages"], {"stage": "total", "rounds": [], **est["total"]}]:
        table.add_row(row["stage"], ",".join(map(str, row["rounds"])), f"{row['calls']:,}",
                      f"{row['prompt_tokens']:,}", f"{row['completion_tokens']:,}",
                      *([f"{row['reasoning_tokens']:,}"] * thinks))
    console = Console()
    console.print(table)
    if est["cost"] is None:
        console.print(f"cost: no price for {est['model']!r} in \\[prices] (model = {{ input = $/1M, output = $/1M }})")
    else:
        console.print(f"cost: about ${est['cost']:,.2f} online, ${est['batch_cost']:,.2f} through the Batch API")
    console.print("assumptions: " + ", ".join(f"{k}={v}" for k, v in est["assumptions"].items()), style="dim")


batch_app = typer.Typer(help="Run through the OpenAI Batch API (or vllm run-batch) at half the price.",
                        no_args_is_help=True)
app.add_typer(batch_app, name="batch")


def _batch_dir(cfg: Any) -> Path:
    return RunDir(cfg.run_dir()).batch


def _state(cfg: Any) -> dict[str, Any]:
    path = RunDir(cfg.run_dir()).batch_state
    return json.loads(path.read_text()) if path.exists() else {"batches": []}


def _save_state(cfg: Any, state: dict[str, Any]) -> None:
    from evol.io import atomic_write_json

    atomic_write_json(RunDir(cfg.run_dir()).batch_state, state)


def _endpoint(cfg: Any) -> str:
    from evol.config import resolve_base_urls
    from evol.errors import ConfigError

    urls = resolve_base_urls(cfg.endpoint)
    if not urls:
        raise ConfigError("batch mode needs an endpoint: set endpoint.base_url, --base-url or OPENAI_BASE_URL")
    return urls[0]


@batch_app.command("write")
@friendly
def batch_write(config: ConfigOpt = Path("pipelines/demo.toml"), out: OutOpt = None, base_url: BaseUrlOpt = None,
                model: ModelOpt = None, limit: Annotated[int | None, Opt(help="first N seeds")] = None) -> None:
    """Write the requests the run needs next (and has not cached) as Batch API input files."""
    from evol.plan.batch import write_files
    from evol.plan.pending import collect

    cfg = _config(config, out, endpoint__base_url=base_url or None, endpoint__model=model, limit=limit)
    folder = RunDir(cfg.run_dir())
    with folder.locked():  # a run (or another batch command) in the folder: RunBusy at once
        requests, summary = collect(cfg)
        if not requests:
            typer.echo("nothing to send: every request the run needs is cached; finish with `evol run`")
            return
        files = write_files(requests, folder)
        state = _state(cfg)
        state["written"] = {"files": {u: str(p) for u, p in files.items()}, **summary}
        _save_state(cfg, state)
    for url, path in files.items():
        typer.echo(f"{path}: requests for {url}")
    typer.echo(f"{summary['requests']} requests (round {summary['round']}, {summary['by_stage']}); "
               f"{summary['cache_hits']} already cached. Next: `evol batch submit` (or `vllm run-batch`, then "
               "`evol batch import`)")


@batch_app.command("submit")
@friendly
def batch_submit(config: ConfigOpt = Path("pipelines/demo.toml"), out: OutOpt = None,
                 base_url: BaseUrlOpt = None) -> None:
    """Upload the written files and create their batches (24 h window)."""
    from evol.errors import DataError
    from evol.plan.batch import submit

    cfg = _config(config, out, endpoint__base_url=base_url or None)
    with RunDir(cfg.run_dir()).locked():
        state = _state(cfg)
        files = (state.get("written") or {}).get("files")
        if not files:
            raise DataError(f"{_batch_dir(cfg)}: no written batch files; run `evol batch write` first")
        created = submit({u: Path(p) for u, p in files.items()}, _endpoint(cfg), cfg.endpoint.api_key_env)
        state["batches"] = state.get("batches", []) + created
        state.pop("written")
        _save_state(cfg, state)
    for entry in created:
        typer.echo(f"{entry['batch_id']}: {entry['status']} ({entry['url']})")


@batch_app.command("status")
@friendly
def batch_status(config: ConfigOpt = Path("pipelines/demo.toml"), out: OutOpt = None, base_url: BaseUrlOpt = None,
                 wait: Annotated[bool, Opt(help="poll until every batch is done")] = False,
                 every: Annotated[float, Opt(help="seconds between polls")] = 60.0) -> None:
    """Poll the submitted batches; import the results of the completed ones into the cache."""
    from evol.llm.cache import ResponseCache
    from evol.plan.batch import poll

    cfg = _config(config, out, endpoint__base_url=base_url or None)
    folder = RunDir(cfg.run_dir())
    with folder.locked():
        state = _state(cfg)
        if not state.get("batches"):
            typer.echo("no batches submitted")
            return
        cache = ResponseCache(folder.cache)
        try:
            state["batches"] = poll(state["batches"], _endpoint(cfg), cfg.endpoint.api_key_env, folder, cache,
                                    wait=wait, every=every)
        finally:
            cache.close()
            _save_state(cfg, state)
    for entry in state["batches"]:
        typer.echo(f"{entry['batch_id']}: {entry['status']}" + (f", imported {entry['imported']}"
                                                                  if entry.get("imported") else ""))


@batch_app.command("import")
@friendly
def batch_import(results: Annotated[Path, typer.Argument(help="batch output JSONL (OpenAI or vllm run-batch)")],
                 config: ConfigOpt = Path("pipelines/demo.toml"), out: OutOpt = None) -> None:
    """Put the answers of a batch output file into the run's cache; `evol run` then uses them."""
    from evol.errors import DataError
    from evol.llm.cache import ResponseCache
    from evol.plan.batch import import_results

    if not results.is_file():
        raise DataError(f"{results}: no such file")
    cfg = _config(config, out)
    folder = RunDir(cfg.run_dir())
    with folder.locked():
        cache = ResponseCache(folder.cache)
        try:
            counts = import_results(results, cache)
        finally:
            cache.close()
    typer.echo(f"{results}: {counts}")


@batch_app.command("run-sim")
@friendly
def batch_run_sim(input_file: Annotated[Path, typer.Argument(help="batch input JSONL")],
                  output_file: Annotated[Path, typer.Argument(help="where to write the results")]) -> None:
    """Answer a batch input file with the offline simulator (like `vllm run-batch -i IN -o OUT`)."""
    from evol.errors import DataError
    from evol.sim.offline import run_batch

    if not input_file.is_file():
        raise DataError(f"{input_file}: no such file")
    typer.echo(f"{output_file}: {run_batch(input_file, output_file)} results (SYNTHETIC)")
