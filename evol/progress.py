"""Progress bars with rate and ETA while a round runs (the command layer passes `RichView` to the run)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from evol.report.funnel import funnel_table
from evol.stages.table import progress_columns


def make_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[cyan]{task.fields[rate]}"),
        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        TextColumn("{task.fields[detail]}"), console=console, transient=False,
    )


def rate_text(done: int, seconds: float) -> str:
    return f"{done / seconds:6.1f}/s" if seconds > 0 else "     -/s"


class RoundBar:
    """One round's progress bar: call it with each finished record (rate, ETA, kept and rejected so far)."""

    def __init__(self, progress: Progress, label: str, total: int, already: int = 0,
                 stages: list[Any] | None = None) -> None:
        self.progress, self.started, self.columns = progress, time.monotonic(), progress_columns(stages)
        self.task = progress.add_task(label, total=total, completed=already, rate="", detail="")
        self.ok = self.rejected = 0
        self.passed: Counter[str] = Counter()

    def __call__(self, record: dict[str, Any]) -> None:
        if record["status"] == "ok":
            self.ok += 1
        else:
            self.rejected += 1
        self.passed.update(record.get("passed") or ())
        done = self.ok + self.rejected
        counts = " · ".join(f"{key} {self.passed[name]}" for name, key in self.columns if self.passed[name])
        self.progress.update(self.task, advance=1, rate=rate_text(done, time.monotonic() - self.started),
                             detail=f"{counts + ' · ' if counts else ''}ok {self.ok} · rejected {self.rejected}")


class RichView:
    """The run's Rich view (`evol.runview.RunView`): a bar per round, and the funnel table at the end."""

    @contextlib.contextmanager
    def rounds(self, console: Console, stages: list[Any]) -> Iterator[Callable[[str, int, int], RoundBar]]:
        with make_progress(console) as progress:
            yield lambda label, total, already: RoundBar(progress, label, total, already, stages)

    def funnel(self, stats: list[dict[str, Any]]) -> Table:
        return funnel_table(stats)
