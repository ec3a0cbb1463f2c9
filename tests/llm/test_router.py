"""Slots across endpoints: least loaded first, FIFO hand-off, cancellation."""

from __future__ import annotations

import asyncio

from evol.llm import EndpointConfig
from evol.llm.endpoint import Endpoint
from evol.llm.router import Router


def endpoints(*caps: int) -> list[Endpoint]:
    return [Endpoint(EndpointConfig(f"http://e{i}/v1", max_concurrency=c)) for i, c in enumerate(caps)]


def test_routes_to_the_least_loaded_relative_to_its_limit() -> None:
    async def main() -> list[str]:
        eps = endpoints(4, 12)
        router = Router(eps)
        return [(await router.acquire()).url for _ in range(16)]

    picks = asyncio.run(main())
    assert picks.count("http://e0/v1") == 4 and picks.count("http://e1/v1") == 12


def test_benched_endpoint_gets_nothing_while_another_has_room() -> None:
    async def main() -> list[str]:
        eps = endpoints(8, 8)
        eps[0].benched_until = 1e18
        router = Router(eps)
        return [(await router.acquire()).url for _ in range(8)]

    assert set(asyncio.run(main())) == {"http://e1/v1"}


def test_waiters_get_freed_slots_in_order_and_cancelled_ones_give_them_back() -> None:
    async def main() -> tuple[list[int], int]:
        eps = endpoints(2)
        router = Router(eps)
        held = [await router.acquire(), await router.acquire()]
        order: list[int] = []

        async def wait(i: int) -> None:
            ep = await router.acquire()
            order.append(i)
            router.release(ep)

        tasks = [asyncio.create_task(wait(i)) for i in range(5)]
        await asyncio.sleep(0)
        tasks[1].cancel()
        router.release(held.pop())
        router.release(held.pop())
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, eps[0].limit.in_flight

    order, in_flight = asyncio.run(main())
    assert order == [0, 2, 3, 4] and in_flight == 0


def test_a_grown_limit_wakes_waiters() -> None:
    async def main() -> int:
        eps = endpoints(4)
        eps[0].limit.limit = 1.0
        router = Router(eps)
        first = await router.acquire()
        waiting = asyncio.create_task(router.acquire())
        await asyncio.sleep(0)
        assert not waiting.done()
        eps[0].limit.limit = 2.0
        router.wake()
        await asyncio.sleep(0)
        assert waiting.done()
        router.release(first)
        router.release(waiting.result())
        return eps[0].limit.in_flight

    assert asyncio.run(main()) == 0
