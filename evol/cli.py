"""The `evol` command line: the app with every command module registered on it, in help order."""

from evol.commands import run, llm, dedup, report, calls, evaluate, data, sandbox, reward  # noqa: F401, I001 (help order)
from evol.commands.app import app

__all__ = ["app"]
