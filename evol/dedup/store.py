"""Where a DedupIndex keeps what verifies a candidate: ids, lineage groups, shingle sets, exact keys.

``MemoryStore`` (the default) keeps them in this process; ``redis_store.RedisStore`` keeps them in Redis
next to datasketch's LSH bands so several workers share one index. Rows number the kept records.
Each store owns its save and load: ``marker`` and ``to_arrays`` say what goes into the index file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from evol.dedup.jaccard import ShingleSets
from evol.dedup.persist import array_json, json_array


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

    def marker(self) -> dict[str, Any]:
        """What the index file's metadata records about this store."""
        ...

    def to_arrays(self) -> dict[str, np.ndarray]:
        """What the index file holds of this store (nothing when the data lives elsewhere)."""
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

    def marker(self) -> dict[str, Any]:
        return {}

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "ids": json_array(self.ids),
            "groups": json_array(self.groups),
            "exact_keys": np.fromiter(self.exact.keys(), np.uint64, len(self.exact)),
            "exact_rows": np.fromiter(self.exact.values(), np.int64, len(self.exact)),
            "set_values": self.sets.values if len(self.sets) else np.empty(0, np.uint32),
            "set_offsets": self.sets.offsets,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> MemoryStore:
        """The store ``to_arrays`` saved (files without lineage groups read each id as its own group)."""
        store = cls()
        store.ids = array_json(data["ids"])
        store.groups = array_json(data["groups"]) if "groups" in data else list(store.ids)
        store.row_of = {rid: row for row, rid in enumerate(store.ids)}
        store.exact = dict(zip(data["exact_keys"].tolist(), data["exact_rows"].tolist(), strict=True))
        store.sets = ShingleSets(data["set_values"], data["set_offsets"].astype(np.int64))
        return store
