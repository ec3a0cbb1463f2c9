"""A run shows its progress only through the view it is given: the CLI injects the Rich one (evol.progress)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import evol.pipeline
from evol.cli import app
from evol.pipeline import run
from evol.progress import RichView
from evol.runview import BarFactory
from tests.helpers import demo_config


class RecordingView:
    """Counts the records each round's bar is called with; the closing funnel is one line."""

    def __init__(self) -> None:
        self.bars: list[list[Any]] = []

    @contextlib.contextmanager
    def rounds(self, console: Console, stages: list[Any]) -> Iterator[BarFactory]:
        def bar(label: str, total: int, already: int) -> Callable[[dict[str, Any]], None]:
            row = [label, total, already]
            self.bars.append(row)
            return lambda record: row.__setitem__(2, row[2] + 1)

        yield bar

    def funnel(self, stats: list[dict[str, Any]]) -> str:
        return f"funnel of {len(stats)} rounds"


def test_a_run_shows_progress_through_its_view_and_is_quiet_without_one(tmp_path: Path) -> None:
    view, shown = RecordingView(), Console(record=True, width=200)
    run(demo_config(tmp_path / "a", limit=4, rounds=1), console=shown, view=view)
    assert [label for label, _, _ in view.bars] == ["answer seeds", "round 1"]
    assert all(done == total for _, total, done in view.bars) and view.bars[0][1] == 4
    assert "funnel of 2 rounds" in shown.export_text()
    quiet = Console(record=True, width=200)
    run(demo_config(tmp_path / "b", limit=4, rounds=1), console=quiet)
    text = quiet.export_text()
    assert "funnel" not in text and "done" in text


def test_evol_run_passes_the_rich_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given: dict[str, Any] = {}
    monkeypatch.setattr(evol.pipeline, "run", lambda cfg, **kwargs: given.update(kwargs))
    done = CliRunner().invoke(app, ["run", "--limit", "1", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert isinstance(given["view"], RichView)
