"""Numpy-vectorised MinHash signatures, bit-identical to datasketch's "affine32" scheme.

Each 32-bit shingle hash is pre-mixed with MurmurHash3's fmix32 and permuted by
``a * h + b mod 2**32`` with datasketch's own (seeded) parameters, laid out permutations x shingles
so one ``np.minimum.reduceat`` yields the signatures of many documents at once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SCHEME = "affine32"
_U32 = np.uint32
_EMPTY = np.iinfo(np.uint32).max
_CHUNK = 8192  # shingles per permutation block: 128 x 8192 x 4 B = 4 MiB, cache friendly


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before permuting."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h ^= h >> _U32(13)
    h *= _U32(0xC2B2AE35)
    h ^= h >> _U32(16)
    return h


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) columns datasketch's ``MinHash(num_perm, seed)`` uses, shaped (num_perm, 1)."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.astype(_U32).reshape(-1, 1), b.astype(_U32).reshape(-1, 1)


def signatures(shingles: np.ndarray, doc: np.ndarray, n_docs: int, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures, shape (n_docs, num_perm) uint32; a document with no shingle gets all 0xFFFFFFFF.

    ``doc`` must be sorted (shingles grouped by document), as ``tokens.shingles32`` returns them.
    """
    a, b = permutations(num_perm, seed)
    out = np.full((num_perm, n_docs), _EMPTY, dtype=_U32)
    if len(shingles) == 0:
        return out.T
    hv = fmix32(shingles.astype(_U32, copy=False))
    offs = np.searchsorted(doc, np.arange(n_docs + 1))
    present = np.flatnonzero(np.diff(offs) > 0)
    starts = offs[present]
    scratch = np.empty((num_perm, _CHUNK), dtype=_U32)
    i = 0
    while i < len(present):
        # Take as many whole documents as fit in one block (at least one).
        j = max(i + 1, int(np.searchsorted(starts, starts[i] + _CHUNK, "right")) - 1)
        j = min(j, len(present))
        s0 = starts[i]
        s1 = offs[present[j - 1] + 1]
        width = s1 - s0
        block = scratch[:, :width] if width <= _CHUNK else np.empty((num_perm, width), dtype=_U32)
        np.multiply(a, hv[s0:s1][None, :], out=block)
        block += b
        out[:, present[i:j]] = np.minimum.reduceat(block, starts[i:j] - s0, axis=1)
        i = j
    return out.T


def choose_bands(threshold: float, num_perm: int, recall: float) -> tuple[int, int]:
    """Bands and rows for recall: the most rows (fewest false candidates) whose S-curve still makes
    a pair at exactly ``threshold`` a candidate with probability >= ``recall``."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 2:
            break
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair of this Jaccard similarity shares at least one band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): a hash of that band's ``rows`` signature values."""
    from evol.dedup.tokens import fmix64

    n = sigs.shape[0]
    keys = np.zeros((n, bands), dtype=np.uint64)
    view = sigs[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    for r in range(rows):
        keys = keys * np.uint64(0x100000001B3) + view[:, :, r]
    return fmix64(keys + np.arange(bands, dtype=np.uint64))
