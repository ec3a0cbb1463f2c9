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
    """One completion per line: a JSON string, a chat message list, or an object with `completion` (either);
    a line that is none of them is a DataError naming the file and line."""
    from evol.errors import DataError
    from evol.io import parse_json

    rows: list[Any] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        value = parse_json(line, path, first_line=lineno)
        if isinstance(value, dict) and "completion" in value:
            value = value["completion"]
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(m, dict) for m in value))):
            raise DataError(f"{path}:{lineno}: expected a JSON string, a chat message list, or an object with "
                            f"`completion`; got {type(value).__name__}")
        rows.append(value)
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
@friendly(stop_note="stopped serving")
def serve(
    host: Annotated[str, typer.Option(help="address to bind (keep it local)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free one, printed)")] = 8000,
) -> None:
    """Serve POST /score {"items": [...], "completions": [...]} -> {"rewards": [...], "results": [...]}."""
    from evol.errors import ConfigError
    from evol.reward.server import make_server
    from evol.sandbox import default_sandbox

    try:
        server = make_server(default_sandbox(), host, port)
    except OSError as exc:  # the port is taken, the address is not this machine's, ...
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"evol reward: listening on http://{bound_host}:{bound_port}", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
