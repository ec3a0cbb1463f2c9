"""A carried parent's evolution tried again is a new call (its own cache key and seed), the same on resume."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evol.config import load_config
from evol.llm import LLMResult
from evol.llm.cache import ResponseCache
from evol.prompts import PromptSet
from evol.records import make_seed
from evol.stages.context import ItemContext
from evol.stages.eliminate import elimination_rules
from evol.stages.item import process
from evol.stages.requests import RequestFactory
from evol.stages.response_filters import response_rules
from tests.stages.fakes import FakeClient

REPO = Path(__file__).resolve().parents[2]
SEED = make_seed("Write a Python function `double(xs)` that doubles every number in a list.")


def evolve_request(parent: dict, round_no: int):  # type: ignore[no-untyped-def]
    cfg = load_config(REPO / "pipelines/demo.toml", {"evolve.methods": {"add_constraints": 1.0}})
    client = FakeClient("x")  # the evolve reply only; the item then stops (too short)
    ctx = ItemContext(client=client, requests=RequestFactory(cfg, PromptSet(list(cfg.evolve.methods)), "m"),  # type: ignore[arg-type]
                      elimination=elimination_rules(cfg.eliminate), responses=response_rules(cfg.filters))
    asyncio.run(process(ctx, parent, round_no))
    return client.requests[0]


def test_a_retried_evolution_makes_a_new_call(tmp_path: Path) -> None:
    first = evolve_request(SEED, 1)  # the seed's first evolution
    retry = evolve_request(SEED, 2)  # its child failed in round 1: the seed was carried into round 2
    assert first.stage == retry.stage == "evolve" and first.messages == retry.messages  # the same prompt ...
    assert retry.cache_key() != first.cache_key() and retry.params.get("seed") == 1  # ... yet a new call
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cache.put(first.cache_key(), LLMResult("child", "stop", {}, "m").to_cache())
    assert not cache.has(retry.cache_key())  # the retry is not answered by the first try's reply
    assert evolve_request(SEED, 2).cache_key() == retry.cache_key()  # a resumed run makes the same call
    assert evolve_request(SEED, 3).cache_key() not in {first.cache_key(), retry.cache_key()}


def test_a_fresh_parent_keeps_its_old_cache_key() -> None:
    kept_child = {**SEED, "id": "r1-abc", "round": 1}  # kept in round 1: evolved for the first time in round 2
    request = evolve_request(kept_child, 2)
    assert request.sample_index == 0 and "seed" not in request.params
