"""`evol cache stats|clear`: look at or empty a run's response cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evol.commands.app import app, friendly

cache_app = typer.Typer(help="The SQLite response cache of a run.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _cache_path(run: Path) -> Path:
    """The response cache of `run` (a run folder or the file itself); a DataError (exit 3) when there is none,
    or the file is no response cache (another SQLite file, such as calls.sqlite, is never written to)."""
    import sqlite3

    from evol.errors import DataError
    from evol.rundir import RunDir

    path = RunDir(run).cache if run.is_dir() else run
    if not path.exists():
        raise DataError(f"{path}: no response cache here")
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'responses'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path}: not a response cache ({exc})") from None
    if found is None:
        raise DataError(f"{path}: not a response cache (a SQLite file without its `responses` table)")
    return path


@cache_app.command("stats")
@friendly
def cache_stats(run: Annotated[Path, typer.Argument(help="run directory or cache file")]) -> None:
    """Entries per stage and size on disk."""
    import json

    from evol.llm.cache import ResponseCache

    cache = ResponseCache(_cache_path(run))
    typer.echo(json.dumps(cache.stats(), indent=2))
    cache.close()


@cache_app.command("clear")
@friendly
def cache_clear(run: Annotated[Path, typer.Argument(help="run directory or cache file")]) -> None:
    """Delete every cached response (the next run pays for its calls again)."""
    from evol.llm.cache import ResponseCache

    cache = ResponseCache(_cache_path(run))
    typer.echo(f"removed {cache.clear()} cached responses from {cache.path}")
    cache.close()
