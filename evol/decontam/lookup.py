"""Fast membership and range lookups of 64-bit hashes in a sorted array.

A 2**22-bit presence filter on the top hash bits rejects almost every absent hash with one gather,
so only likely members pay for the binary search.
"""

from __future__ import annotations

import numpy as np

_BITS = 22
_SHIFT = np.uint64(64 - _BITS)


class SortedHashes:
    """A sorted uint64 array (duplicates allowed) with a presence filter in front of it."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.sort(np.asarray(keys, np.uint64))
        self.filter = np.zeros(1 << _BITS, bool)
        self.filter[(self.keys >> _SHIFT).astype(np.int64)] = True

    def __len__(self) -> int:
        return len(self.keys)

    def ranges(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indices into h that are present, their first and past-last positions in ``keys``)."""
        maybe = np.flatnonzero(self.filter[(h >> _SHIFT).astype(np.int64)])
        if len(maybe) == 0 or len(self.keys) == 0:
            empty = np.empty(0, np.int64)
            return empty, empty, empty
        q = h[maybe]
        lo = np.searchsorted(self.keys, q, "left")
        found = self.keys[np.minimum(lo, len(self.keys) - 1)] == q
        idx, lo = maybe[found], lo[found]
        hi = np.searchsorted(self.keys, h[idx], "right")
        return idx, lo, hi

    def contains(self, h: np.ndarray) -> np.ndarray:
        """A boolean mask: which of h are in the set."""
        mask = np.zeros(len(h), bool)
        mask[self.ranges(h)[0]] = True
        return mask
