"""Slots across endpoints: each request goes to the endpoint with the fewest in flight relative to its limit.

One FIFO of waiters for all endpoints: a freed slot is handed straight to the oldest waiter, so waking
costs O(1) however many requests wait (no thundering herd when the limit shrinks under a big pool).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evol.llm.endpoint import Endpoint


class Router:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.endpoints = endpoints
        self._waiters: deque[asyncio.Future[Endpoint]] = deque()

    def _choose(self) -> Endpoint | None:
        now = time.monotonic()
        live = [e for e in self.endpoints if e.available(now)] or self.endpoints
        best: Endpoint | None = None
        for e in live:
            if e.limit.has_slot and (best is None or e.limit.load < best.limit.load):
                best = e
        return best

    async def acquire(self) -> Endpoint:
        """A slot on the least-loaded endpoint (waits while every endpoint is at its limit)."""
        if not self._waiters:
            best = self._choose()
            if best is not None:
                best.limit.in_flight += 1
                return best
        fut: asyncio.Future[Endpoint] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # a slot was handed over just as we were cancelled
                self.release(fut.result())
            else:
                try:
                    self._waiters.remove(fut)
                except ValueError:
                    pass
            raise

    def release(self, endpoint: Endpoint) -> None:
        endpoint.limit.in_flight -= 1
        self.wake()

    def wake(self) -> None:
        """Hand free slots to waiters (call after a release or when a limit grew)."""
        while self._waiters:
            best = self._choose()
            if best is None:
                return
            fut = self._waiters.popleft()
            if fut.done():
                continue
            best.limit.in_flight += 1
            fut.set_result(best)
