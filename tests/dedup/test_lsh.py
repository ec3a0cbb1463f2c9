"""Banded LSH tables: lookups across merged runs and in-batch pairs equal brute-force band equality."""

from __future__ import annotations

import numpy as np

from evol.dedup.lsh import BandTables, within_pairs


def brute(keys_a: np.ndarray, keys_b: np.ndarray) -> set[tuple[int, int]]:
    return {(i, j) for i in range(len(keys_a)) for j in range(len(keys_b)) if (keys_a[i] == keys_b[j]).any()}


def test_query_finds_every_shared_band_across_runs() -> None:
    rng = np.random.default_rng(3)
    stored = rng.integers(0, 6, size=(120, 4)).astype(np.uint64)
    tables = BandTables(4)
    for start in range(0, 120, 17):  # many inserts -> several runs, merged as they grow
        tables.insert(stored[start : start + 17], np.arange(start, min(start + 17, 120)))
    assert len(tables) == 120
    queries = rng.integers(0, 6, size=(30, 4)).astype(np.uint64)
    q, rows = tables.query(queries)
    assert set(zip(q.tolist(), rows.tolist(), strict=True)) == brute(queries, stored)
    keys, _ = tables.compacted()
    assert (np.diff(keys.astype(np.int64), axis=1) >= 0).all()


def test_within_pairs_are_later_earlier_and_complete() -> None:
    rng = np.random.default_rng(4)
    keys = rng.integers(0, 8, size=(50, 3)).astype(np.uint64)
    later, earlier = within_pairs(keys)
    want = {(i, j) for i in range(50) for j in range(i) if (keys[i] == keys[j]).any()}
    assert set(zip(later.tolist(), earlier.tolist(), strict=True)) == want


def test_empty_tables() -> None:
    q, rows = BandTables(3).query(np.zeros((2, 3), np.uint64))
    assert len(q) == len(rows) == 0
