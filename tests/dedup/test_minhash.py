"""Vectorised MinHash: bit-identical to datasketch, and bands/rows chosen for recall."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from evol.dedup.minhash import band_keys, candidate_probability, choose_bands, signatures
from evol.dedup.tokens import shingles32, tokenize


def test_signatures_equal_datasketch_affine32() -> None:
    texts = [" ".join(f"w{(i * 7 + j) % 97}" for j in range(20 + i)) for i in range(30)] + ["short", ""]
    sh, doc = shingles32(tokenize(texts), 5)
    sigs = signatures(sh, doc, len(texts), 128, 1)
    for d in range(len(texts)):
        m = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x)
        m.update_batch(sh[doc == d].tolist())
        assert np.array_equal(sigs[d], m.hashvalues), d


def test_empty_document_signature_is_all_max() -> None:
    sigs = signatures(np.empty(0, np.uint32), np.empty(0, np.int64), 2, 64, 3)
    assert sigs.shape == (2, 64) and (sigs == np.iinfo(np.uint32).max).all()


def test_many_blocks_give_the_same_signatures() -> None:
    rng = np.random.default_rng(0)
    sh = rng.integers(0, 2**32, 50_000, dtype=np.uint64).astype(np.uint32)
    doc = np.sort(rng.integers(0, 400, 50_000))
    whole = signatures(sh, doc, 400, 32, 5)
    for d in (0, 123, 399):
        m = MinHash(num_perm=32, seed=5, hashfunc=lambda x: x)
        m.update_batch(sh[doc == d].tolist())
        assert np.array_equal(whole[d], m.hashvalues)


def test_bands_are_chosen_for_recall_at_the_threshold() -> None:
    bands, rows = choose_bands(0.7, 128, 0.985)
    assert (bands, rows) == (25, 5)
    assert candidate_probability(0.7, bands, rows) >= 0.985
    # datasketch's default optimum for 0.7 (about 9 bands of 13 rows) would miss many 0.7-0.8 pairs.
    assert candidate_probability(0.72, 9, 13) < 0.5


def test_band_keys_shape_and_equality() -> None:
    sigs = np.arange(2 * 128, dtype=np.uint32).reshape(2, 128)
    sigs[1, :5] = sigs[0, :5]
    keys = band_keys(sigs, 25, 5)
    assert keys.shape == (2, 25)
    assert keys[0, 0] == keys[1, 0] and (keys[0, 1:] != keys[1, 1:]).all()
