"""Banded LSH tables over numpy arrays: sorted runs per band, merged like an LSM tree.

Lookups are ``np.searchsorted`` over every run, inserts append a sorted run and merge runs of
similar size, so both stay vectorised and amortised O(n log n) over a whole run of rounds.
"""

from __future__ import annotations

import numpy as np

from evol.dedup.jaccard import sorted_unique


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo[i], hi[i]) return (i repeated per element, every position in the ranges)."""
    counts = hi - lo
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(lo)), counts)
    if total == 0:
        return owner, owner
    starts = np.cumsum(counts) - counts
    pos = np.arange(total) - np.repeat(starts - lo, counts)
    return owner, pos


class BandTables:
    """Per band, which rows hold which 64-bit band key."""

    def __init__(self, bands: int) -> None:
        self.bands = bands
        # Each run: (keys (bands, n) sorted along axis 1, rows (bands, n) in the same order).
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(keys.shape[1] for keys, _ in self.runs)

    def insert(self, keys: np.ndarray, rows: np.ndarray, sigs: np.ndarray | None = None) -> None:
        """Add documents: ``keys`` shape (n, bands), ``rows`` their row numbers (``sigs`` unused)."""
        if len(rows) == 0:
            return
        k = np.ascontiguousarray(keys.T)
        r = np.broadcast_to(np.asarray(rows, np.int64), k.shape)
        order = np.argsort(k, axis=1, kind="stable")
        self.runs.append((np.take_along_axis(k, order, 1), np.take_along_axis(r, order, 1)))
        while len(self.runs) > 1 and self.runs[-2][0].shape[1] <= 2 * self.runs[-1][0].shape[1]:
            (k1, r1), (k2, r2) = self.runs.pop(), self.runs.pop()
            k, r = np.concatenate((k2, k1), 1), np.concatenate((r2, r1), 1)
            order = np.argsort(k, axis=1, kind="stable")
            self.runs.append((np.take_along_axis(k, order, 1), np.take_along_axis(r, order, 1)))

    def query(self, keys: np.ndarray, sigs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All (query index, row) pairs sharing at least one band key, de-duplicated (``sigs`` unused)."""
        found_q, found_r = [], []
        for band in range(self.bands):
            # Sorted queries make numpy's binary searches walk the table in order (cache friendly).
            order = np.argsort(keys[:, band])
            q_sorted = keys[order, band]
            for run_keys, run_rows in self.runs:
                col = run_keys[band]
                lo = np.searchsorted(col, q_sorted, "left")
                hit = np.flatnonzero(col[np.minimum(lo, len(col) - 1)] == q_sorted)
                if len(hit) == 0:
                    continue
                hi = np.searchsorted(col, q_sorted[hit], "right")
                q, pos = _expand(lo[hit], hi)
                found_q.append(order[hit][q])
                found_r.append(run_rows[band][pos])
        return _unique_pairs(found_q, found_r)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tables as saved in an index file."""
        keys, rows = self.compacted()
        return {"band_keys": keys, "band_rows": rows}

    def restore(self, data: dict[str, np.ndarray]) -> bool:
        """Take back saved tables (same bands and rows); False when ``data`` holds none."""
        if "band_keys" not in data:
            return False
        if data["band_keys"].shape[1]:
            self.runs = [(data["band_keys"], data["band_rows"])]
        return True

    def compacted(self) -> tuple[np.ndarray, np.ndarray]:
        """All entries as one run (keys, rows), each (bands, n) sorted per band."""
        if not self.runs:
            return np.empty((self.bands, 0), np.uint64), np.empty((self.bands, 0), np.int64)
        k = np.concatenate([keys for keys, _ in self.runs], 1)
        r = np.concatenate([rows for _, rows in self.runs], 1)
        order = np.argsort(k, axis=1, kind="stable")
        self.runs = [(np.take_along_axis(k, order, 1), np.take_along_axis(r, order, 1))]
        return self.runs[0]


def within_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (later, earlier) index pairs inside one batch that share at least one band key."""
    later, earlier = [], []
    n = keys.shape[0]
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")
        s = col[order]
        # For each sorted position p: partners are the following positions with the same key.
        group_end = np.searchsorted(s, s, "right")
        idx, pos = _expand(np.arange(n) + 1, group_end)
        a, b = order[idx], order[pos]
        later.append(np.maximum(a, b))
        earlier.append(np.minimum(a, b))
    return _unique_pairs(later, earlier)


def _unique_pairs(first: list[np.ndarray], second: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not first:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.concatenate(first).astype(np.int64)
    b = np.concatenate(second).astype(np.int64)
    if len(a) == 0:
        return a, b
    packed = sorted_unique((a << 32) | b)
    return packed >> 32, packed & 0xFFFFFFFF
