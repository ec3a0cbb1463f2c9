"""Where a DedupIndex keeps what verifies a candidate: ids, lineage groups, shingle sets, exact keys.

``MemoryStore`` (the default) keeps them in this process; ``redis_store.RedisStore`` keeps them in Redis
next to datasketch's LSH bands so several workers share one index. Rows number the kept records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from evol.dedup.jaccard import ShingleSets


class Fetched(NamedTuple):
    """Verification data of some rows: ``sets`` row-aligned with the request, ``ids``/``groups`` indexed by row."""

    sets: ShingleSets
    ids: Mapping[int, str] | Sequence[str]
    groups: Mapping[int, str] | Sequence[str]


class Added(NamedTuple):
    """Rows given to added records (-1: not added) and ``lost``: position -> id that already holds its exact key."""

    rows: np.ndarray
    lost: dict[int, str]


class RecordStore(Protocol):
    """What DedupIndex needs from the kept records' storage."""

    def __len__(self) -> int: ...

    def known(self, rids: Sequence[str]) -> set[str]:
        """The ids among ``rids`` that are already indexed."""
        ...

    def exact_ids(self, keys: Sequence[int]) -> list[str | None]:
        """For each exact key, the id of the kept record holding it (or None)."""
        ...

    def fetch(self, rows: np.ndarray) -> Fetched:
        """The sets, ids and groups of ``rows`` (repeats allowed)."""
        ...

    def add(self, rids: Sequence[str], groups: Sequence[str], keys: Sequence[int], sets: ShingleSets) -> Added:
        """Index kept records (``sets`` row-aligned with ``rids``)."""
        ...


class MemoryStore:
    """Everything in this process: plain lists, dicts and one flat ShingleSets."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.groups: list[str] = []  # lineage of each indexed record (see DedupConfig.lineage_field)
        self.row_of: dict[str, int] = {}
        self.exact: dict[int, int] = {}
        self.sets = ShingleSets()

    def __len__(self) -> int:
        return len(self.ids)

    def known(self, rids: Sequence[str]) -> set[str]:
        return {rid for rid in rids if rid in self.row_of}

    def exact_ids(self, keys: Sequence[int]) -> list[str | None]:
        rows = [self.exact.get(k) for k in keys]
        return [None if row is None else self.ids[row] for row in rows]

    def fetch(self, rows: np.ndarray) -> Fetched:
        return Fetched(self.sets.take(rows), self.ids, self.groups)

    def add(self, rids: Sequence[str], groups: Sequence[str], keys: Sequence[int], sets: ShingleSets) -> Added:
        base = len(self.ids)
        for rid, group, key in zip(rids, groups, keys, strict=True):
            self.row_of[rid] = len(self.ids)
            self.ids.append(rid)
            self.groups.append(group)
            self.exact.setdefault(key, self.row_of[rid])
        self.sets.append(sets)
        return Added(np.arange(base, base + len(rids), dtype=np.int64), {})
