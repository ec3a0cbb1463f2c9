"""`evol report`, `evol show`, `evol stats`, `evol export`: look at a run and ship its data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evol.commands.app import command

Arg = typer.Argument
Opt = typer.Option
RunArg = Annotated[Path, Arg(help="run directory (e.g. data/runs/demo)")]
PricesOpt = Annotated[Path | None, Opt("--prices", help="TOML whose [prices] table prices the tokens "
                                                        "(default: the run's own)")]


def _console() -> Any:
    """A rich console; when output is not a terminal (pipes, logs), wide enough for the funnel table."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    return console


@command("report")
def report_command(run: RunArg, out: Annotated[Path | None, Opt(help="HTML file (default RUN/report.html)")] = None,
                   prices: PricesOpt = None) -> None:
    """Write a self-contained HTML report of a run: funnel, rejections, methods, lengths, cost, lineage."""
    try:
        from evol.report.page import write_report
    except ModuleNotFoundError as exc:
        from evol.errors import ConfigError

        if not (exc.name or "").startswith("plotly"):
            raise
        raise ConfigError(f"evol report needs {exc.name}: `make report` installs it into .venv "
                          "(elsewhere: pip install 'evol[report]')") from None

    path = write_report(run, out, prices)
    typer.echo(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)")


@command("show")
def show_command(run: RunArg, ident: Annotated[str, Arg(metavar="ID", help="record id (or a unique prefix)")],
                 max_chars: Annotated[int, Opt(help="characters of instruction/output shown (0: all)")] = 1500,
                 family: Annotated[bool, Opt("--family/--path", help="whole family of the seed, or just the path "
                                                                      "from the seed to ID")] = True) -> None:
    """Show one sample's lineage as a tree: each step's method, model, tokens and rejection reason."""
    from evol.report.rundata import load_run
    from evol.report.terminal import lineage_view

    _console().print(lineage_view(load_run(run), ident, max_chars, family))


@command("stats")
def stats_command(run: RunArg, prices: PricesOpt = None,
                  as_json: Annotated[bool, Opt("--json", help="print the totals as JSON")] = False) -> None:
    """Print a run's funnel per round and its totals (rows, rejections, tokens, cost)."""
    from evol.pricing import run_price
    from evol.report.rundata import load_run

    data = load_run(run)
    price = run_price(data.config, data.model, data.configured_model, prices)
    if as_json:
        import json

        from evol.report.totals import run_totals

        typer.echo(json.dumps({"rounds": data.stats, "totals": run_totals(data, price), "warnings": data.warnings},
                              indent=2))
        return
    from evol.report.terminal import stats_view

    _console().print(stats_view(data, price))


@command("export")
def export_command(
    run: RunArg,
    fmt: Annotated[str, Opt("--format", "-f", help="json | jsonl | parquet | hf | rl (RL, with tests)")] = "json",
    out: Annotated[Path | None, Opt(help="output file (hf: folder); default RUN/export/...")] = None,
    include_seeds: Annotated[bool, Opt("--include-seeds/--no-include-seeds", help="include round-0 seeds")] = True,
    max_round: Annotated[int | None, Opt("--max-round", help="only rounds up to R (train after R rounds)")] = None,
    lineage: Annotated[bool, Opt("--lineage", help="add id, parent_id, root_id, round, method, model")] = False,
    license_id: Annotated[str, Opt("--license", help="license id for the dataset card")] = "other",
    force: Annotated[bool, Opt("--force", help="replace an earlier hf export at --out")] = False,
    push_to_hub: Annotated[str | None, Opt("--push-to-hub", metavar="REPO", help="also upload (hf only)")] = None,
    private: Annotated[bool, Opt("--private", help="make the Hub repo private")] = False,
) -> None:
    """Export the kept rows: 78k-style JSON, JSONL, Parquet, or a datasets.DatasetDict with a dataset card."""
    from evol.report.exporters import export_run

    result = export_run(run, fmt, out, include_seeds=include_seeds, max_round=max_round, lineage=lineage,
                        license_id=license_id, force=force, hub_repo=push_to_hub, private=private)
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    typer.echo(f"export: {result.rows} rows -> {result.path} ({result.format})"
               + (f"; pushed to {push_to_hub}" if push_to_hub else ""))
