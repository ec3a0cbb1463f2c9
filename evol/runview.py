"""What a run shows while it works: the interface the pipeline calls, and the quiet default.

The command layer passes the Rich view (`evol.progress.RichView`); `evol.pipeline.run` without one is quiet.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from rich.console import Console, RenderableType

BarFactory = Callable[[str, int, int], Callable[[dict[str, Any]], None]]  # (label, total, already) -> on_record


class RunView(Protocol):
    """What a run shows while it works; the command layer passes the Rich one (`evol.progress.RichView`)."""

    def rounds(self, console: Console, stages: list[Any]) -> contextlib.AbstractContextManager[BarFactory]:
        """Open while the rounds run: yields `bar(label, total, already)`, a callback for each finished record."""

    def funnel(self, stats: list[dict[str, Any]]) -> RenderableType | None:
        """What to print when the run ends (None: nothing)."""


class QuietView:
    """No bars and no closing table: the view of a run started without one."""

    @contextlib.contextmanager
    def rounds(self, console: Console, stages: list[Any]) -> Iterator[BarFactory]:
        yield lambda label, total, already: lambda record: None

    def funnel(self, stats: list[dict[str, Any]]) -> RenderableType | None:
        return None
