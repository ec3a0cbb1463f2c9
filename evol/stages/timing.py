"""Seconds per stage, wall and CPU, for stats.json and the report.

Wall time is the stage's `run` from start to end (waits included). CPU time is this process's threads
working for the stage alone, though the event loop interleaves many items: `timed` drives the stage's
coroutine itself and adds `time.thread_time()` over each step it runs on the loop's thread, and the
stage's blocking work in worker threads (`to_thread`) adds its own thread's time. Sandboxed programs run in
child processes and are not counted (their seconds are in `verification`).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")
_CPU: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("evol_stage_cpu", default=None)


class _Steps:
    """Awaitable that runs a coroutine step by step, summing the thread CPU time of each step into `cpu`."""

    def __init__(self, coro: Coroutine[Any, Any, T], cpu: list[float]) -> None:
        self.coro, self.cpu = coro, cpu

    def __await__(self) -> Generator[Any, Any, Any]:
        send: Any = None
        error: BaseException | None = None
        while True:
            start = time.thread_time()
            try:
                step = self.coro.throw(error) if error is not None else self.coro.send(send)
            except StopIteration as done:
                return done.value
            finally:
                self.cpu[0] += time.thread_time() - start
            try:
                send, error = (yield step), None
            except BaseException as exc:  # cancellation and the like go into the coroutine, as `await` does
                send, error = None, exc


async def timed(coro: Coroutine[Any, Any, T]) -> tuple[T, float, float]:
    """(the coroutine's result, wall seconds, CPU seconds of this process's threads working on it)."""
    cpu = [0.0]
    token = _CPU.set(cpu)
    start = time.perf_counter()
    try:
        value = await _Steps(coro, cpu)
    finally:
        _CPU.reset(token)
    return value, time.perf_counter() - start, cpu[0]


async def to_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`asyncio.to_thread`, the worker thread's CPU time added to the running stage's."""
    cpu = _CPU.get()

    def work() -> T:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            if cpu is not None:
                cpu[0] += time.thread_time() - start  # the stage awaits this: nothing else adds meanwhile

    return await asyncio.to_thread(work)
