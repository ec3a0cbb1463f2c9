"""A discrete-event model of the client's limiter against a server, on a simulated clock (no real sleeping).

The client side mirrors evol.llm: workers take a slot (FIFO, as the router does), a reply frees it, a success
calls `on_success`, an overload reply calls `on_overload`, takes one slot out of use for about a round trip
(the endpoint's `penalty`/`hold`) and is retried after the client's full-jitter backoff. The server has a
capacity (requests in service beyond it are refused at once), a latency with jitter, and random refusals
that do not depend on load.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from evol.llm.limiter import AdaptiveLimit
from evol.llm.retry import backoff


@dataclass
class Server:
    capacity: int | None = None  # requests served at once; more are refused (429) at once
    latency: float = 0.1  # seconds per served request
    jitter: float = 0.5  # each latency is latency * (1 + jitter * U(0, 1))
    p429: float = 0.0  # random refusals, whatever the load
    refuse_latency: float = 0.005  # a refusal comes back this fast


@dataclass
class Outcome:
    trace: list[float] = field(default_factory=list)  # the limit, sampled every `sample` seconds
    served: int = 0
    refused: int = 0
    peak_in_service: int = 0

    def settled(self) -> float:
        """Mean limit over the second half of the run."""
        half = self.trace[len(self.trace) // 2:]
        return sum(half) / len(half)


class Simulation:
    """Workers sending requests one after another through an AdaptiveLimit to a Server."""

    def __init__(self, server: Server, *, cap: int, workers: int, seed: int, backoff_base: float = 0.02,
                 backoff_cap: float = 0.2, sample: float = 0.05) -> None:
        self.server, self.rng, self.now = server, random.Random(seed), 0.0
        self.limit = AdaptiveLimit(cap, clock=lambda: self.now)
        self.workers, self.sample = workers, sample
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.in_service = 0
        self.rtt: float | None = None
        self.out = Outcome()
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._waiting: deque[int] = deque()
        self._attempt = [1] * workers

    def at(self, delay: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (self.now + delay, next(self._seq), action))

    def run(self, seconds: float) -> Outcome:
        for w in range(self.workers):
            self._waiting.append(w)
        self._dispatch()
        self.at(self.sample, self._sample)
        while self._events and self._events[0][0] <= seconds:
            self.now, _, action = heapq.heappop(self._events)
            action()
        return self.out

    def _sample(self) -> None:
        self.out.trace.append(self.limit.limit)
        self.at(self.sample, self._sample)

    def _dispatch(self) -> None:
        while self._waiting and self.limit.has_slot:
            self.limit.in_flight += 1
            self._send(self._waiting.popleft())

    def _send(self, worker: int) -> None:
        s = self.server
        if (s.p429 and self.rng.random() < s.p429) or (s.capacity and self.in_service >= s.capacity):
            self.at(s.refuse_latency, lambda: self._refused(worker))
            return
        self.in_service += 1
        self.out.peak_in_service = max(self.out.peak_in_service, self.in_service)
        seconds = s.latency * (1 + s.jitter * self.rng.random())
        self.at(seconds, lambda: self._served(worker, seconds))

    def _served(self, worker: int, seconds: float) -> None:
        self.in_service -= 1
        self.limit.in_flight -= 1
        self.out.served += 1
        self.rtt = seconds if self.rtt is None else 0.9 * self.rtt + 0.1 * seconds
        self.limit.on_success()
        self._attempt[worker] = 1
        self._waiting.append(worker)  # the worker's next item
        self._dispatch()

    def _refused(self, worker: int) -> None:
        self.limit.in_flight -= 1
        self.out.refused += 1
        self.limit.on_overload()
        self.limit.penalty += 1
        hold = min(2.0, max(0.02, self.rtt if self.rtt is not None else 0.1))  # as Endpoint.hold
        self.at(hold, self._end_penalty)
        delay = backoff(self._attempt[worker], self.backoff_base, self.backoff_cap, rng=self.rng)
        self._attempt[worker] += 1
        self.at(delay, lambda: self._retry(worker))
        self._dispatch()

    def _end_penalty(self) -> None:
        self.limit.penalty -= 1
        self._dispatch()

    def _retry(self, worker: int) -> None:
        self._waiting.append(worker)
        self._dispatch()


def simulate(server: Server, *, cap: int, workers: int, seed: int, seconds: float, **kwargs: float) -> tuple[
        Outcome, AdaptiveLimit]:
    sim = Simulation(server, cap=cap, workers=workers, seed=seed, **kwargs)
    return sim.run(seconds), sim.limit
