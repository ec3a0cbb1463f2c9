"""Adaptive concurrency (AIMD) under a configured cap, with an injectable clock for tests."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class AdaptiveLimit:
    """A concurrency limit that shrinks on overload and grows back with success.

    Multiply by `decrease` on an overload signal (429/503), at most once per `cooldown` seconds, and only
    when the overload share of the recent window exceeds `tolerance`: random, load-independent 429s at a
    low rate then leave the limit alone. Add 1 after each full window of successes.
    """

    def __init__(self, cap: int, *, decrease: float = 0.75, cooldown: float = 1.0, tolerance: float = 0.08,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cap = cap
        self.limit = float(cap)
        self.in_flight = 0
        self.decrease, self.cooldown, self.tolerance, self.clock = decrease, cooldown, tolerance, clock
        self._last_decrease = -1e18
        self._successes = 0
        self._recent: deque[bool] = deque(maxlen=max(20, cap))
        self._cond = asyncio.Condition()

    @property
    def free(self) -> float:
        """Spare capacity relative to the limit (used to route across endpoints)."""
        return (self.limit - self.in_flight) / self.limit

    async def acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < int(self.limit))
            self.in_flight += 1

    async def release(self) -> None:
        async with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def on_success(self) -> None:
        self._recent.append(False)
        self._successes += 1
        if self._successes >= max(1, int(self.limit)):
            self._successes = 0
            self.limit = min(float(self.cap), self.limit + 1.0)

    def on_overload(self) -> bool:
        """Record an overload signal; returns True when the limit was cut."""
        self._recent.append(True)
        share = sum(self._recent) / len(self._recent)
        now = self.clock()
        if share <= self.tolerance or now - self._last_decrease < self.cooldown:
            return False
        self._last_decrease = now
        self._successes = 0
        self.limit = max(1.0, self.limit * self.decrease)
        return True
