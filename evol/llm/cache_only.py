"""A client that answers from the response cache only and records every request it cannot answer.

Batch mode drives a run's rounds with it (see `evol.plan.pending`): what it records is the frontier,
the requests whose inputs are all known now. No endpoint is contacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evol.llm.cache import ResponseCache
from evol.llm.types import LLMFailure, LLMRequest, LLMResult
from evol.llm.usage import UsageLedger

DEFERRED = "deferred"  # the failure kind of a request that waits for a batch (seen only in a scratch copy)


class CacheOnlyClient:
    """The `complete` / `ledger` / `snapshot` / `aclose` of LLMClient, over the cache alone.

    A miss fails its item with kind "deferred". Misses of a round after one that had a miss are not
    recorded: they would start from an incomplete pool.
    """

    def __init__(self, cache_path: Path | None) -> None:
        self.cache = ResponseCache(cache_path) if cache_path and cache_path.exists() else None
        self.requests: dict[str, LLMRequest] = {}
        self.ledger = UsageLedger()
        self.hits = 0
        self.first_deferred_round: int | None = None

    async def complete(self, req: LLMRequest) -> LLMResult:
        key = req.cache_key()
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.hits += 1
            return LLMResult.from_cache(hit)
        rnd = req.round if req.round is not None else 0
        if self.first_deferred_round is None or rnd <= self.first_deferred_round:
            self.first_deferred_round = rnd
            self.requests[key] = req
        raise LLMFailure(DEFERRED, "waits for a batch")

    def snapshot(self) -> list[dict[str, Any]]:
        return []

    async def aclose(self) -> None:
        if self.cache is not None:
            self.cache.close()
