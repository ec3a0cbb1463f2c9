"""`evol cache stats|clear`: look at or empty a run's response cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evol.commands.app import app, friendly

cache_app = typer.Typer(help="The SQLite response cache of a run.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _cache_path(run: Path) -> Path:
    from evol.errors import DataError
    from evol.rundir import RunDir

    path = RunDir(run).cache if run.is_dir() else run
    if not path.exists():
        raise DataError(f"{path}: no response cache here")
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
