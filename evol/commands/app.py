"""The `evol` Typer app and its command decorator: each command module registers on `app`; errors become exit codes."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

from evol.errors import EvolError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grow and judge code instruction data.",
                  rich_markup_mode=None)  # help text is plain: `[prices]` is a TOML table, not markup


def _flag_metavar(self: TyperOption, ctx: Any) -> str | None:
    """No `<bool>` after a flag (--help, --json, --no-cache): it takes no value."""
    return None if self.is_flag else _option_metavar(self, ctx)


_option_metavar = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_metavar  # type: ignore[method-assign]
# one casing for arguments, as in `evol infer IN OUT`: upper case unless a metavar says otherwise
TyperArgument.display_name_raw = property(lambda self: self.metavar or self.name.upper())  # type: ignore[assignment]


def _one_line(self: Any, file: Any = None) -> None:
    """A usage error (unknown option, missing argument, bad value) as one line, like every other error."""
    ctx, names = getattr(self, "ctx", None), []
    while ctx is not None and ctx.parent is not None:  # `evol reward serve`, not `evol serve`
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    hint = f" (see `evol {' '.join(names)} --help`)" if names else ""
    typer.secho(f"error: {self.format_message()}{hint}", fg="red", err=True)


def _one_line_usage_errors() -> None:
    """Click's errors (typer's own copy of click, and click itself) show as one `error:` line (exit code 2)."""
    import importlib

    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        module.ClickException.show = _one_line
        module.UsageError.show = _one_line


_one_line_usage_errors()


@app.callback()
def main(verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                     help="log failed calls (-v), every call and retry (-vv)")) -> None:
    """Grow and judge code instruction data."""
    if verbose:
        import logging

        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("evol").setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler, `kill`, `timeout`), raised where Ctrl-C would be, so the same clean-up runs: the
    calls log drains, journals close, the run lock is let go."""


def _terminate(signum: int, frame: Any) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean-up: a later SIGTERM does not cut it short
    raise Terminated()


RESUME_NOTE = "what finished is saved; rerun the same command to resume"


def friendly(fn: Callable[..., Any] | None = None, *, stop_note: str = RESUME_NOTE) -> Any:
    """Turn an EvolError (or a filesystem fault) into one red line and its exit code, Ctrl-C into a note (130),
    SIGTERM into the same clean-up and a note (143), a reader that went away (`| head`) into a quiet exit 0.
    `stop_note` is what the Ctrl-C / SIGTERM line says (a server has nothing to resume).
    Used bare (`@friendly`) or with the note (`@friendly(stop_note=...)`)."""
    if fn is None:
        return functools.partial(friendly, stop_note=stop_note)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _terminate)
        try:
            return fn(*args, **kwargs)
        except EvolError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # `evol calls RUN --json | head`: the reader took what it wanted
            _stdout_to_devnull()
            sys.exit(0)
        except Exception as exc:  # a filesystem fault (disk full, read-only, no such place, ...) is one line too
            failure = _os_failure(exc)
            if failure is None:
                raise
            typer.secho(f"error: {failure}", fg="red", err=True)
            sys.exit(failure.exit_code)
        except KeyboardInterrupt as exc:
            _quiet_teardown()
            what = "terminated" if isinstance(exc, Terminated) else "interrupted"
            typer.secho(f"{what}: {stop_note}", fg="yellow", err=True)
            sys.exit(143 if isinstance(exc, Terminated) else 130)

    return wrapper


def _os_failure(exc: Exception) -> EvolError | None:
    """The one-line error a filesystem or socket fault stands for (None: not one, a bug). A fault met while
    writing says `cannot write` (evol.io.storage_error); any other names its path and cause, nothing more."""
    from evol.io import STORAGE_CAUSES, StorageError, WriteError, storage_error

    if not isinstance(exc, OSError):
        return storage_error(exc)  # a SQLite fault of the response cache, or None
    where = str(exc.filename or "a file or socket")
    cause = STORAGE_CAUSES.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    if isinstance(exc, WriteError):  # (not "to resume": most commands have nothing to resume; a run does anyway)
        return StorageError(where, cause, text=f"{where}: cannot write: {cause}; fix that and rerun the same command")
    return StorageError.plain(where, cause)


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit meets no broken pipe again."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _quiet_teardown() -> None:
    """After Ctrl-C (a second one may cut the clean-up short), connections left open are closed by the
    garbage collector: its `Unclosed client session` notes would only blur the one line that matters."""
    import logging
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the interrupt is being reported: more Ctrl-C change nothing
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore", ResourceWarning)


def command(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a CLI command wrapped by `friendly`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        app.command(name, **kwargs)(friendly(fn))
        return fn

    return register
