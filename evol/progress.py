"""Progress bars with rate and ETA while a round runs, and the closing funnel table."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from evol.stages.table import progress_columns, short_labels, shown_funnel, tokens_total


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


def funnel_table(all_stats: list[dict[str, Any]], title: str = "evol run: funnel per round",
                 last: tuple[str, Callable[[dict[str, Any]], str]] = ("s", lambda st: f"{st['seconds']:.1f}"),
                 **table_options: Any) -> Table:
    """The funnel per round (one row a round) with tokens and a last column (seconds, or cost)."""
    table = Table(title=title, **table_options)
    columns, short = shown_funnel(all_stats), short_labels(all_stats)
    for label in ("round", *(short.get(label, label) for _, label in columns), "tokens", last[0]):
        table.add_column(label, justify="right", no_wrap=True)
    for st in all_stats:
        tokens = tokens_total(st)
        table.add_row(str(st["round"]), *(str(st.get(k, 0)) for k, _ in columns), f"{tokens:,}", last[1](st))
    return table


def sim_banner(console: Console, url: str) -> None:
    console.print(Panel.fit(
        "[bold]No endpoint configured[/bold] (no --base-url, no endpoint.base_url, no OPENAI_BASE_URL).\n"
        f"Using the built-in OFFLINE SIMULATOR at {url} (model 'evol-sim').\n"
        "[bold red]The data this run makes is SYNTHETIC[/bold red]: rule-based rewrites and canned answers,\n"
        "good for trying the pipeline, worthless for training. Point evol at a real endpoint with\n"
        "  make evolve BASE_URL=http://localhost:8000/v1 MODEL=<served model>",
        title="[bold yellow]evol: SIMULATED ENDPOINT[/bold yellow]", border_style="yellow"))
