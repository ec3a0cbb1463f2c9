"""Run many programs in parallel: one thread per worker slot, each thread driving one child process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

from evol.sandbox.policy import Limits, RunResult

if TYPE_CHECKING:
    from evol.sandbox.runner import Sandbox

K = TypeVar("K")


def run_many(
    sandbox: Sandbox,
    programs: Iterable[tuple[K, str]],
    *,
    limits: Limits | None = None,
    exit_ok: bool = True,
    language: str = "python",
) -> Iterator[tuple[K, RunResult]]:
    """Yield (key, result) as programs finish; at most 2x the worker count are queued at once.

    `programs` yields (key, source) pairs; keys come back unchanged so callers can match results.
    """
    sandbox.isolation  # probe once, before the threads start  # noqa: B018
    window = sandbox.workers * 2
    with ThreadPoolExecutor(max_workers=sandbox.workers, thread_name_prefix="sandbox") as pool:
        pending: dict[Future[RunResult], K] = {}
        source = iter(programs)
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < window:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                key, program = item
                pending[pool.submit(sandbox.run, program, language=language, limits=limits, exit_ok=exit_ok)] = key
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()
