"""Exact Jaccard similarity of shingle sets, computed for many candidate pairs at once."""

from __future__ import annotations

import numpy as np


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based; faster than np.unique's hashing for these sizes)."""
    if len(a) == 0:
        return a
    s = np.sort(a)
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


class ShingleSets:
    """Sorted, de-duplicated shingle sets of many documents in one flat array (rows are documents).

    Appends grow the buffers geometrically, so a run of many small appends costs amortised O(total).
    """

    def __init__(self, values: np.ndarray | None = None, offsets: np.ndarray | None = None) -> None:
        self._values = np.empty(0, np.uint32) if values is None else values
        self._offsets = np.zeros(1, np.int64) if offsets is None else offsets
        self._nvals = len(self._values)
        self._nrows = len(self._offsets) - 1

    @property
    def values(self) -> np.ndarray:
        return self._values[: self._nvals]

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets[: self._nrows + 1]

    @classmethod
    def from_docs(cls, shingles: np.ndarray, doc: np.ndarray, n_docs: int) -> ShingleSets:
        """Build from per-document shingle hashes (``doc`` sorted), de-duplicating within documents."""
        key = (doc.astype(np.uint64) << np.uint64(32)) | shingles.astype(np.uint64)
        key = sorted_unique(key)
        docs = (key >> np.uint64(32)).astype(np.int64)
        offsets = np.searchsorted(docs, np.arange(n_docs + 1)).astype(np.int64)
        return cls(key.astype(np.uint32), offsets)

    def __len__(self) -> int:
        return self._nrows

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, rows: np.ndarray) -> ShingleSets:
        """The sets of the given rows, as a new ShingleSets."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self._offsets[rows]
        lens = self._offsets[rows + 1] - starts
        offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lens, out=offsets[1:])
        idx = np.repeat(starts - offsets[:-1], lens) + np.arange(offsets[-1])
        return ShingleSets(self._values[idx], offsets)

    def append(self, other: ShingleSets) -> None:
        """Add other's rows after ours."""
        vals, offs = other.values, other.offsets
        nv, nr = self._nvals + len(vals), self._nrows + len(offs) - 1
        if nv > len(self._values):
            grown = np.empty(max(nv, 2 * len(self._values)), np.uint32)
            grown[: self._nvals] = self._values[: self._nvals]
            self._values = grown
        if nr + 1 > len(self._offsets):
            grown = np.empty(max(nr + 1, 2 * len(self._offsets)), np.int64)
            grown[: self._nrows + 1] = self._offsets[: self._nrows + 1]
            self._offsets = grown
        self._values[self._nvals : nv] = vals
        self._offsets[self._nrows + 1 : nr + 1] = offs[1:] - offs[0] + self._nvals
        self._nvals, self._nrows = nv, nr


def pair_jaccard(left: ShingleSets, right: ShingleSets) -> np.ndarray:
    """Exact Jaccard of row i of ``left`` with row i of ``right``, for every i (float64).

    Each side is encoded as (pair << 32 | shingle), which is globally sorted because every set is;
    one ``searchsorted`` then finds all intersections without a Python loop.
    """
    n = len(left)
    if n == 0:
        return np.empty(0)
    la, lb = np.diff(left.offsets), np.diff(right.offsets)
    ka = (np.repeat(np.arange(n, dtype=np.uint64), la) << np.uint64(32)) | left.values.astype(np.uint64)
    kb = (np.repeat(np.arange(n, dtype=np.uint64), lb) << np.uint64(32)) | right.values.astype(np.uint64)
    pos = np.searchsorted(kb, ka)
    hit = pos < len(kb)
    hit[hit] = kb[pos[hit]] == ka[hit]
    inter = np.bincount(np.repeat(np.arange(n), la)[hit], minlength=n).astype(np.float64)
    union = la + lb - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / union, 1.0)
    return sim


