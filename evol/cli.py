"""The `evol` command line: thin wrappers that call the core and turn EvolErrors into exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer

from evol.errors import EvolError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grow and judge code instruction data.")


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an EvolError raised by a command into one red line and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EvolError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def command(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a CLI command wrapped by `friendly`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        app.command(name, **kwargs)(friendly(fn))
        return fn

    return register


def _register_all() -> None:
    """Import the modules that declare commands (each keeps heavy imports inside its functions)."""
    from evol.commands import data as _data  # noqa: F401
    from evol.commands import run as _run  # noqa: F401
    # -- command modules of later features register here (one import line each) --
    # dedup/decontam: evol.commands.dedup ; train: evol.commands.train ; eval: evol.commands.evaluate
    # report/show/stats/export: evol.commands.report
    for extra in ("dedup", "evaluate", "report", "llm"):
        try:
            __import__(f"evol.commands.{extra}")
        except ModuleNotFoundError as exc:
            if exc.name != f"evol.commands.{extra}":
                raise


_register_all()
