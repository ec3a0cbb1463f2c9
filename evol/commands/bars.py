"""Progress bars (count, rate, ETA): around any generation backend (`evol infer`, `evol eval`), and for
record-by-batch work (`evol dedup`, `evol decontam`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rich.console import Console

from evol.progress import make_progress, rate_text


class ProgressBackend:
    """Wraps a backend (evol.eval.backends.Backend): each result it yields advances one bar."""

    def __init__(self, backend: Any, label: str, console: Console | None = None) -> None:
        self.backend, self.label = backend, label
        self.console = console or Console(stderr=True)
        self.name = backend.name

    def generate(self, requests: Sequence[Any], sampling: Any, on_result: Any) -> None:
        with make_progress(self.console) as progress:
            task = progress.add_task(self.label, total=len(requests), rate="", detail="")
            started, counts = time.monotonic(), {"done": 0, "failed": 0}

            def tick(result: Any) -> None:
                on_result(result)
                counts["done"] += 1
                counts["failed"] += getattr(result, "error", None) is not None
                progress.update(task, advance=1, rate=rate_text(counts["done"], time.monotonic() - started),
                                detail=f"failed {counts['failed']}" if counts["failed"] else "")

            self.backend.generate(requests, sampling, tick)


@contextlib.contextmanager
def record_bar(label: str, console: Console | None = None) -> Iterator[Callable[[int, int], None]]:
    """A bar for work done in batches of records: yields `advance(done, total)`. A block that fails takes its
    bar away, so the one `error:` line stands alone."""
    with make_progress(console or Console(stderr=True)) as progress:
        task = progress.add_task(label, total=None, rate="", detail="")
        started = time.monotonic()

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total,
                            rate=rate_text(done, time.monotonic() - started), detail="records")

        try:
            yield advance
        except BaseException:
            progress.live.transient = True  # erased as the bar stops
            progress.remove_task(task)
            raise
