"""`evol reward score FILE` and `evol reward serve`: verifiable rewards from the trusted judge (evol.reward)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from evol.commands.app import app, friendly

reward_app = typer.Typer(no_args_is_help=True, help="Score completions against RL items with the trusted judge.")
app.add_typer(reward_app, name="reward")


def _completions(path: Path) -> list[Any]:
    """One completion per line: a JSON string, or an object with `completion` (text or chat messages)."""
    rows: list[Any] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            value = json.loads(line)
            rows.append(value["completion"] if isinstance(value, dict) else value)
    return rows


@reward_app.command("score")
@friendly
def score_file(
    items: Annotated[Path, typer.Argument(help="RL items, JSONL (`evol export RUN --format rl`)")],
    completions: Annotated[
        Path | None, typer.Option(help="JSONL, one completion per item (default: each item's reference)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the per-item results here (JSONL) instead of stdout")] = None,
) -> None:
    """Score each completion against its item; print one JSON result per item and a summary line on stderr."""
    from evol.errors import DataError
    from evol.io import atomic_write_jsonl, read_jsonl
    from evol.reward import score

    rows = list(read_jsonl(items))
    answers = _completions(completions) if completions else [row.get("reference") or "" for row in rows]
    if len(answers) != len(rows):
        raise DataError(f"{len(rows)} items but {len(answers)} completions")
    results = [r.to_dict() for r in score(rows, answers)]
    if out is not None:
        atomic_write_jsonl(out, results)
    else:
        for result in results:
            typer.echo(json.dumps(result))
    mean = sum(r["reward"] for r in results) / len(results) if results else 0.0
    verified = sum(r["verified"] for r in results)
    typer.echo(f"{len(results)} scored, {verified} verified, mean reward {mean:.4f}", err=True)


@reward_app.command("serve")
@friendly
def serve(
    host: Annotated[str, typer.Option(help="address to bind (keep it local)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0: any free one, printed)")] = 8000,
) -> None:
    """Serve POST /score {"items": [...], "completions": [...]} -> {"rewards": [...], "results": [...]}."""
    from evol.reward.server import make_server
    from evol.sandbox import default_sandbox

    server = make_server(default_sandbox(), host, port)
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"evol reward: listening on http://{bound_host}:{bound_port}", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
