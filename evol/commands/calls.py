"""`evol calls RUN`: every LLM call of a run (stage, item, endpoint, status, attempts, time, tokens, errors)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from evol.commands.app import command

Opt = typer.Option
SHOWN = ("round", "stage", "item", "endpoint", "status", "attempts", "seconds", "prompt_tokens",
         "completion_tokens", "finish_reason", "error_kind")
HEADERS = ("round", "stage", "item", "endpoint", "status", "tries", "s", "in", "out", "finish", "error")


@command("calls")
def calls_command(
    run: Annotated[Path, typer.Argument(help="run directory (e.g. data/runs/demo)")],
    failed: Annotated[bool, Opt("--failed", help="only the calls that failed (with their kinds)")] = False,
    stage: Annotated[str | None, Opt(help="only this stage (evolve, judge, answer, ...)")] = None,
    as_json: Annotated[bool, Opt("--json", help="one JSON object per line instead of a table")] = False,
) -> None:
    """List the LLM calls of a run, as logged in RUN/calls.sqlite."""
    from evol.calls import read_calls

    rows = read_calls(run, failed=failed, stage=stage)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    _print_table(rows)
    kinds = Counter(r["error_kind"] for r in rows if r["status"] != "ok")
    summary = f"{len(rows)} call(s), {sum(kinds.values())} failed"
    typer.echo(summary + (": " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) if kinds else ""))


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADERS, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*("" if row[k] is None else str(row[k]) for k in SHOWN))
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    console.print(table)
