"""Adaptive concurrency (AIMD) under a configured cap, with an injectable clock for tests."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

MIN_SAMPLES = 32  # outcomes seen before an overload share is trusted
MARGIN = 0.02  # overload share above the baseline that counts as overload
SIGMAS = 4.0  # how far (in standard errors) above the baseline a share must be to count as overload
JUDGE_SAMPLES = 128  # outcomes after a cut (at least) before it is judged
RANDOM_MAX_SHARE = 0.2  # a cut is only undone when the share that caused it was below this


class AdaptiveLimit:
    """A concurrency limit that shrinks on overload and grows back with success.

    Decrease: multiply by `decrease` when the overload replies (429/503) among recent outcomes are clearly
    (SIGMAS standard errors) above the baseline share, once the last cut has been judged (and at most once
    per `cooldown` seconds, 0 by default: the judgement already spaces cuts by a few round trips). While a
    cut is judged the limit holds still.

    Random, load-independent overloads: after each cut the share is measured again, once the requests
    that were in flight at the cut have come back. A real overload (refusals past the server's capacity)
    falls when the limit is cut by a quarter (a share under RANDOM_MAX_SHARE at the cut means the limit was
    less than a quarter above the capacity); a random one does not. So when a cut that small leaves the
    share statistically where it was, the cut is undone and that share is averaged into the `baseline`,
    which later decisions are measured against: random 429s cannot ratchet the limit down. A share that
    rose after the cut is an overload getting worse, never a baseline; and a cut that did lower the share
    lowers the baseline to what is left, so a baseline learned by mistake is unlearned at the next real cut.

    Increase: add 1 after each window of successes with no overload above the baseline in it, and only
    while the limit is all in use, penalised slots included (an idle limit proves nothing). The window is
    the limit itself (about one round trip) when probing, and an eighth of it while climbing back to
    `recover_to` of the level of the last cut, when that cut was near the capacity (few refusals).

    Between cuts, each overload reply also takes one slot out of use for about a round trip (`penalty`,
    kept by the client): requests refused for want of capacity then do not churn through the slots the
    server has no room for. Waiting for a slot is the router's job (see evol.llm.router).
    """

    def __init__(self, cap: int, *, decrease: float = 0.75, cooldown: float = 0.0, recover_to: float = 0.9,
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
        self._cut_n = 0
        self._fast_to = 0.0  # below this, the limit grows by 1 every eighth of a window
        self._after_cut: list[int] | None = None  # [outcomes, overloads] since the last cut, until judged
        self._skip = 0  # outcomes of requests still in flight at the last cut: not counted in its judgement

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
        return self.overload_share > self.baseline + max(MARGIN, SIGMAS * math.sqrt(p * (1.0 - p) / n))

    def _record(self, overload: bool) -> None:
        if len(self._recent) == self._recent.maxlen and self._recent[0]:
            self._overloads -= 1
        self._recent.append(overload)
        self._overloads += overload
        if self._skip:
            self._skip -= 1
        elif self._after_cut is not None:
            self._after_cut[0] += 1
            self._after_cut[1] += overload
            n, overloads = self._after_cut
            if n >= max(JUDGE_SAMPLES, 2 * int(self.ceiling)) or (
                    n >= MIN_SAMPLES and overloads > RANDOM_MAX_SHARE * n):  # still clearly overloaded: judge now
                self._judge_cut()

    def _judge_cut(self) -> None:
        """Undo the last cut if it did not change the overload share: those overloads do not depend on load."""
        assert self._after_cut is not None
        n, overloads = self._after_cut
        self._after_cut = None
        after, before, base = overloads / n, self._cut_share, self.baseline
        like_before = abs(after - before) <= _noise(max(after, before), n, self._cut_n)
        like_baseline = base > 0 and abs(after - base) <= _noise(base, n)
        if before <= RANDOM_MAX_SHARE and MARGIN <= after <= RANDOM_MAX_SHARE and (like_before or like_baseline):
            self.baseline = after if not base else 0.5 * (base + after)
            self.limit = self.ceiling
            self.undone += 1
        elif after < base and not like_baseline:  # the cut worked: what is left is the load-independent share at most
            self.baseline = min(base, after)

    def on_success(self) -> bool:
        """Record a success; returns True when the limit grew."""
        self._record(False)
        if self._after_cut is not None:  # the limit holds still while the last cut is judged
            return False
        size = max(1, int(self.limit))
        if self.in_flight + self.penalty + 1 < size:  # not all in use (penalised slots count as used)
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
        if not self.baseline or self.overload_share > self.baseline + _noise(self.baseline, len(self._recent)) / 2:
            self._successes = 0  # a window of successes must be clean (of overloads above the baseline)
        now = self.clock()
        if self._after_cut is not None or not self.overloaded() or now - self._last_cut < self.cooldown:
            return False
        self._last_cut = now
        self._cut_share, self._cut_n = self.overload_share, len(self._recent)
        self._skip = self.in_flight  # their outcomes tell about the limit before the cut
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


def _noise(p: float, n: int, m: int = 0) -> float:
    """Two standard errors of a share p measured over n outcomes (minus one over m others, when m > 0)."""
    p = max(p, MARGIN)
    return 2.0 * math.sqrt(p * (1.0 - p) * (1.0 / n + (1.0 / m if m else 0.0)))
