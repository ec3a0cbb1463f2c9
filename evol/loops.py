"""Run a coroutine to its end from synchronous code, whether or not an event loop is already running."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`; inside a running loop (a Jupyter notebook) it runs in a thread with its own loop,
    and this call blocks until it is done (the notebook's loop cannot run it: it is busy calling us)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="evol-run") as pool:
        return pool.submit(context.run, asyncio.run, coro).result()
