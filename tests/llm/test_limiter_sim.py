"""The limiter against a simulated server on a simulated clock (tests/llm/aimd_sim.py), 100 seeds each.

Each seed draws its own server (capacity, latency) and cap; a run lasts 300 round trips of simulated time.
"""

from __future__ import annotations

import random

import pytest

from tests.llm.aimd_sim import Server, simulate

SEEDS = range(100)
ROUND_TRIPS = 300


@pytest.mark.slow
def test_under_capacity_overload_the_limit_settles_within_20_percent_of_the_capacity_on_every_seed() -> None:
    misses = []
    for seed in SEEDS:
        rng = random.Random(seed)
        capacity, latency = rng.randint(6, 48), rng.choice([0.02, 0.05, 0.2, 1.0])
        out, lim = simulate(Server(capacity=capacity, latency=latency), cap=4 * capacity, workers=4 * capacity,
                            seed=seed, seconds=ROUND_TRIPS * latency, sample=latency / 2)
        settled = out.settled()
        if abs(settled - capacity) > 0.2 * capacity or lim.cuts < 2:
            misses.append((seed, capacity, latency, round(settled, 2), lim.snapshot()))
    assert not misses, misses


@pytest.mark.slow
def test_with_5_percent_random_429s_and_no_capacity_limit_the_limit_stays_near_the_cap_on_every_seed() -> None:
    misses = []
    for seed in SEEDS:
        rng = random.Random(seed)
        cap, latency = rng.choice([16, 32, 64, 128]), rng.choice([0.02, 0.05, 0.2, 1.0])
        out, lim = simulate(Server(p429=0.05, latency=latency), cap=cap, workers=cap, seed=seed,
                            seconds=ROUND_TRIPS * latency, sample=latency / 2)
        if out.settled() < 0.9 * cap or min(out.trace[len(out.trace) // 2:]) < 0.5 * cap or out.refused == 0:
            misses.append((seed, cap, latency, round(out.settled(), 2), lim.snapshot()))
    assert not misses, misses


def test_a_capacity_overload_with_random_429s_on_top_still_settles_near_the_capacity() -> None:
    for seed in range(5):
        out, lim = simulate(Server(capacity=24, latency=0.05, p429=0.05), cap=96, workers=96, seed=seed,
                            seconds=20.0)
        assert abs(out.settled() - 24) <= 0.2 * 24, (seed, lim.snapshot())


def test_the_simulation_is_deterministic_per_seed() -> None:
    a, _ = simulate(Server(capacity=8, latency=0.05), cap=32, workers=32, seed=3, seconds=5.0)
    b, _ = simulate(Server(capacity=8, latency=0.05), cap=32, workers=32, seed=3, seconds=5.0)
    assert a.trace == b.trace and a.served == b.served and a.peak_in_service <= 8
