"""Exact Jaccard for many pairs at once, against plain Python sets."""

from __future__ import annotations

import random

import numpy as np

from evol.dedup.jaccard import ShingleSets, pair_jaccard
from tests.dedup.corpus import jaccard_sets


def sets_from(lists: list[list[int]]) -> ShingleSets:
    sh = np.array([v for vals in lists for v in vals], dtype=np.uint32)
    doc = np.array([d for d, vals in enumerate(lists) for _ in vals], dtype=np.int64)
    return ShingleSets.from_docs(sh, doc, len(lists))


def test_pair_jaccard_matches_python_sets() -> None:
    rng = random.Random(7)
    left = [[rng.randrange(200) for _ in range(rng.randrange(0, 60))] for _ in range(300)]
    right = [[rng.randrange(200) for _ in range(rng.randrange(0, 60))] for _ in range(300)]
    got = pair_jaccard(sets_from(left), sets_from(right))
    want = [jaccard_sets(set(a), set(b)) for a, b in zip(left, right, strict=True)]
    assert np.allclose(got, want)


def test_take_and_append_keep_rows() -> None:
    s = sets_from([[3, 1, 3], [], [9, 8]])
    assert s.sizes().tolist() == [2, 0, 2]
    t = s.take(np.array([2, 0]))
    assert t.values.tolist() == [8, 9, 1, 3]
    s.append(t)
    assert len(s) == 5 and s.take(np.array([4])).values.tolist() == [1, 3]
