"""Adaptive concurrency (AIMD) under a configured cap, with an injectable clock for tests."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

MIN_SAMPLES = 32  # outcomes seen before an overload share is trusted
MARGIN = 0.02  # overload share above the baseline that counts as overload
RANDOM_MAX_SHARE = 0.2  # a cut is only undone when the share that caused it was below this


class AdaptiveLimit:
    """A concurrency limit that shrinks on overload and grows back with success.

    Decrease: multiply by `decrease` when the overload replies (429/503) among recent outcomes are clearly
    above the baseline share, at most once per `cooldown` seconds and once the last cut has been judged.

    Random, load-independent overloads: after each cut the share is measured again. A real overload
    (refusals past the server's capacity) stops when the limit drops below the capacity; a random one does
    not. So when a cut leaves the share about where it was, the cut is undone and that share becomes the
    `baseline`, which later decisions are measured against: random 429s cannot ratchet the limit down.

    Increase: add 1 after each window of successes with no overload in it, and only while the limit is
    all in use (an idle limit proves nothing). The window is the limit itself (about one round trip) when
    probing, and an eighth of it while climbing back to `recover_to` of the level of the last cut, when
    that cut was near the capacity (few refusals, not a flood).

    Between cuts, each overload reply also takes one slot out of use for about a round trip (`penalty`,
    kept by the client): requests refused for want of capacity then do not churn through the slots the
    server has no room for. Waiting for a slot is the router's job (see evol.llm.router).
    """

    def __init__(self, cap: int, *, decrease: float = 0.75, cooldown: float = 1.0, recover_to: float = 0.9,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if cap < 1:
            raise ValueError("cap must be >= 1")
        self.cap = cap
        self.limit = float(cap)
        self.in_flight = 0
        self.penalty = 0
        self.decrease, self.cooldown, self.recover_to, self.clock = decrease, cooldown, recover_to, clock
        self.ceiling = float(cap)  # the limit before the last cut
        self.baseline = 0.0  # the load-independent overload share learned so far
        self.cuts = self.undone = 0
        self._last_cut = -1e18
        self._successes = 0
        self._recent: deque[bool] = deque(maxlen=max(64, 2 * cap))
        self._overloads = 0
        self._cut_share = 0.0
        self._fast_to = 0.0  # below this, the limit grows by 1 every eighth of a window
        self._after_cut: list[int] | None = None  # [outcomes, overloads] since the last cut, until judged

    @property
    def slots(self) -> int:
        """Requests that may be in flight now."""
        return max(1, int(self.limit) - self.penalty)

    @property
    def has_slot(self) -> bool:
        return self.in_flight < self.slots

    @property
    def load(self) -> float:
        """In flight relative to the limit (used to route across endpoints)."""
        return self.in_flight / self.limit

    @property
    def overload_share(self) -> float:
        return self._overloads / len(self._recent) if self._recent else 0.0

    def overloaded(self) -> bool:
        """The recent overload share is clearly above the baseline."""
        n = len(self._recent)
        if n < MIN_SAMPLES:
            return False
        p = max(self.baseline, MARGIN)
        return self.overload_share > self.baseline + max(MARGIN, 2.0 * math.sqrt(p * (1.0 - p) / n))

    def _record(self, overload: bool) -> None:
        if len(self._recent) == self._recent.maxlen and self._recent[0]:
            self._overloads -= 1
        self._recent.append(overload)
        self._overloads += overload
        if self._after_cut is not None:
            self._after_cut[0] += 1
            self._after_cut[1] += overload
            if self._after_cut[0] >= max(2 * MIN_SAMPLES, 2 * int(self.limit)):
                self._judge_cut()

    def _judge_cut(self) -> None:
        """Undo the last cut if it did not lower the overload share: those overloads do not depend on load."""
        assert self._after_cut is not None
        n, overloads = self._after_cut
        self._after_cut = None
        after = overloads / n
        if self._cut_share <= RANDOM_MAX_SHARE / 2 and after >= max(MARGIN, 0.5 * self._cut_share):
            self.baseline = max(self.baseline, after)
            self.limit = self.ceiling
            self.undone += 1

    def on_success(self) -> bool:
        """Record a success; returns True when the limit grew."""
        self._record(False)
        size = max(1, int(self.limit))
        if self.in_flight + 1 < size:  # not all in use (penalised slots included): nothing learned
            return False
        self._successes += 1
        window = size if self.limit >= self._fast_to else max(1, size // 8)
        if self._successes < window or self.limit >= self.cap:
            return False
        self._successes = 0
        self.limit = min(float(self.cap), self.limit + 1.0)
        return True

    def on_overload(self) -> bool:
        """Record an overload signal; returns True when the limit was cut."""
        self._record(True)
        self._successes = 0  # a window of successes must be clean
        now = self.clock()
        if self._after_cut is not None or not self.overloaded() or now - self._last_cut < self.cooldown:
            return False
        self._last_cut = now
        self._cut_share = self.overload_share
        # climb back fast only when the cut was near the capacity (few refusals), not from far above it
        self._fast_to = self.recover_to * self.limit if self._cut_share <= RANDOM_MAX_SHARE else 0.0
        self._after_cut = [0, 0]
        self.ceiling = self.limit
        self.limit = max(1.0, self.limit * self.decrease)
        self.cuts += 1
        return True

    def snapshot(self) -> dict[str, float]:
        return {"limit": round(self.limit, 2), "cap": self.cap, "in_flight": self.in_flight, "penalty": self.penalty,
                "cuts": self.cuts, "cuts_undone": self.undone, "baseline_overload_share": round(self.baseline, 4),
                "overload_share": round(self.overload_share, 4)}
