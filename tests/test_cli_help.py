"""Help text: no value shown after a flag, one casing for arguments, markup-free text, --base-url repeatable."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from evol.cli import app

ROOT = typer.main.get_command(app)


def all_commands(cmd: Any = ROOT, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
        for name, sub in cmd.commands.items():
            found += all_commands(sub, (*path, name))
    return found


def help_of(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "evol")
def test_help_has_no_bool_metavar_and_upper_case_arguments(path: tuple[str, ...]) -> None:
    text = help_of(path)
    assert "<bool>" not in text
    usage = text.split("\n\n")[0]
    assert not re.search(r"[{\[][a-z_]+[}\]]", usage.replace("[OPTIONS]", "")), usage  # {run} -> {RUN}


def test_brackets_in_help_survive() -> None:
    assert "[prices] table" in help_of(("report",))


@pytest.mark.parametrize("path", [("run",), ("infer",), ("eval", "humaneval"), ("batch", "write"),
                                  ("batch", "submit"), ("batch", "status")])
def test_base_url_is_repeatable_wherever_an_endpoint_is_taken(path: tuple[str, ...]) -> None:
    cmd: Any = ROOT
    for name in path:
        cmd = cmd.commands[name]
    option = next(p for p in cmd.params if "--base-url" in getattr(p, "opts", []))
    assert option.multiple, path
