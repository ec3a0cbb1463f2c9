"""Synthetic text helpers for the dedup tests: random sentences, edits, planted near-duplicate corpora."""

from __future__ import annotations

import random

WORDS = [f"w{i}" for i in range(5000)]


def jaccard_sets(a: set, b: set) -> float:
    """Plain-Python Jaccard of two sets (the reference the vectorised code is checked against)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def sentence(rng: random.Random, n: int = 60) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


def mutate(rng: random.Random, words: list[str], edits: int) -> list[str]:
    """Replace ``edits`` words at random positions with fresh words."""
    out = list(words)
    for _ in range(edits):
        out[rng.randrange(len(out))] = f"x{rng.randrange(10**9)}"
    return out


def shingle_set(text: str, n: int = 5) -> set[tuple[str, ...]]:
    w = text.lower().split()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def corpus(rng: random.Random, n_base: int = 300) -> tuple[list[dict], list[tuple[str, str, float]]]:
    """Base texts plus planted variants; returns records and (variant, base, exact Jaccard)."""
    records, pairs = [], []
    for i in range(n_base):
        base = sentence(rng)
        records.append({"id": f"b{i}", "instruction": " ".join(base)})
        if i % 3 == 0:
            text = " ".join(mutate(rng, base, rng.randrange(0, 9)))
            records.append({"id": f"v{i}", "instruction": text})
            pairs.append((f"v{i}", f"b{i}", jaccard_sets(shingle_set(text), shingle_set(records[-2]["instruction"]))))
    return records, pairs
