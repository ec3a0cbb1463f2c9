"""AIMD with a fake clock, and a discrete model of an endpoint with a fixed capacity."""

from __future__ import annotations

import random

from evol.llm.limiter import AdaptiveLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def succeed(lim: AdaptiveLimit) -> bool:
    """A success while the limit is in use (all its slots but the one just freed are taken)."""
    lim.in_flight = max(1, int(lim.limit)) - 1
    return lim.on_success()


def storm(lim: AdaptiveLimit, n: int = 40) -> bool:
    """Feed up to n overload signals, stopping at the first cut; True if one cut the limit."""
    return any(lim.on_overload() for _ in range(n))


def test_overload_cuts_by_a_quarter_at_most_once_per_cooldown() -> None:
    clock = Clock()
    lim = AdaptiveLimit(64, clock=clock, cooldown=1.0)
    assert storm(lim) and lim.limit == 48.0
    lim._after_cut = None  # judged (see the tests below)
    clock.now = 0.5
    assert not storm(lim, 200) and lim.limit == 48.0  # within the cooldown
    clock.now = 1.01
    assert storm(lim, 200) and lim.limit == 36.0
    for _ in range(40):
        clock.now += 1.01
        lim._after_cut = None
        storm(lim, 200)
    assert lim.limit == 1.0 and lim.slots == 1  # never below one


def test_a_cut_that_does_not_lower_the_share_is_undone_and_the_share_learned() -> None:
    clock = Clock()
    lim = AdaptiveLimit(64, clock=clock)
    for i in range(6000):  # 5% of replies are 429s whatever the load
        clock.now += 0.01
        lim.on_overload() if i % 20 == 0 else succeed(lim)
    assert lim.cuts >= 1 and lim.undone == lim.cuts and lim.limit == 64.0
    assert 0.04 <= lim.baseline <= 0.07


def test_successes_add_one_per_window_up_to_the_cap() -> None:
    lim = AdaptiveLimit(40, clock=Clock())
    lim.limit = lim.ceiling = 20.0
    for _ in range(19):
        succeed(lim)
    assert lim.limit == 20.0
    assert succeed(lim) and lim.limit == 21.0  # a window = the limit's worth of successes
    for _ in range(10_000):
        succeed(lim)
    assert lim.limit == 40.0  # capped


def test_an_idle_limit_does_not_grow_and_an_overload_restarts_the_window() -> None:
    lim = AdaptiveLimit(40, clock=Clock())
    lim.limit = lim.ceiling = 20.0
    lim.in_flight = 3
    assert not any(lim.on_success() for _ in range(100)) and lim.limit == 20.0
    for _ in range(19):
        succeed(lim)
    lim.on_overload()  # not enough to cut, but the window starts again
    assert not any(succeed(lim) for _ in range(19)) and succeed(lim) and lim.limit == 21.0


def test_climbs_back_fast_below_the_level_of_the_last_cut() -> None:
    clock = Clock()
    lim = AdaptiveLimit(64, clock=clock)
    for _ in range(100):
        succeed(lim)
    assert storm(lim, 8) and lim.limit == 48.0 and lim.ceiling == 64.0  # a few refusals: near the capacity
    assert not any(succeed(lim) for _ in range(64 + 128))  # held still while the cut is judged (it worked)
    assert lim.cuts == 1 and lim.undone == 0 and lim.limit == 48.0
    grew = sum(succeed(lim) for _ in range(48))  # one round trip of successes
    assert grew >= 5  # an eighth of a window each, not a whole window


def test_a_cut_is_held_while_judged_and_the_refusals_still_in_flight_are_not_counted() -> None:
    lim = AdaptiveLimit(32, clock=Clock())
    lim.in_flight = 31
    assert storm(lim) and lim.limit == 24.0
    for _ in range(31):  # the requests sent before the cut come back refused: they say nothing of the cut
        lim.on_overload()
    assert lim._after_cut == [0, 0] and lim.limit == 24.0


def test_a_share_that_rises_after_a_cut_is_never_learned_as_a_baseline() -> None:
    """The old misjudged-cut path: refusals past the capacity were taken for random ones and the cut undone."""
    lim = AdaptiveLimit(32, clock=Clock())
    for _ in range(100):
        succeed(lim)
    assert storm(lim, 40)  # a few refusals: the first cut
    for i in range(200):  # the overload grows: 30% of replies are refused after the cut
        lim.on_overload() if i % 10 < 3 else succeed(lim)
    assert lim.baseline == 0.0 and lim.undone == 0 and lim.limit < 32


def random_overloads(share: float, rate: float, seconds: float, seed: int) -> tuple[AdaptiveLimit, list[float]]:
    clock = Clock()
    rng = random.Random(seed)
    lim = AdaptiveLimit(64, clock=clock)
    trace = []
    while clock.now < seconds:
        clock.now += 1 / rate
        lim.on_overload() if rng.random() < share else succeed(lim)
        trace.append(lim.limit)
    return lim, trace


def test_random_overloads_at_a_low_rate_do_not_collapse_the_limit() -> None:
    """5% of requests get a 429 whatever the load (at 320 and at 64 outcomes a second)."""
    for rate in (320, 64):
        for seed in range(3):
            lim, trace = random_overloads(0.05, rate, 300, seed)
            assert min(trace) >= 0.5 * 64, (rate, seed)  # cuts are undone: no collapse
            assert sum(trace) / len(trace) >= 0.95 * 64, (rate, seed, lim.snapshot())
            assert lim.limit >= 0.9 * 64
