"""Generated instruction-like corpora with planted near-duplicates, and the reference Jaccard.

The reference tokenizer is a plain regex, independent of evol's vectorised one, so the benchmark's
ground truth does not share code with what it measures.
"""

from __future__ import annotations

import re

import numpy as np

THRESHOLD = 0.7
VARIANT_SHARE = 0.1
WORDS_PER_DOC = 80
OPENERS = [
    "write a python function that",
    "implement a class in java which",
    "create a bash script to",
    "given a list of integers write code that",
    "design a rest api endpoint in go that",
    "refactor the following javascript so that it",
    "explain and fix the bug in this c++ program which",
    "write a sql query that",
    "build a react component that",
    "write unit tests for a rust module that",
]
WORD_RE = re.compile(r"[a-z0-9_\u0080-\U0010ffff]+")


def make_corpus(n: int, seed: int = 0) -> tuple[list[dict], list[tuple[int, int]]]:
    """n records: bases (an opener and Zipf-distributed words) and planted edited copies placed after them."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, rng.integers(3, 10))) for _ in range(60_000)]
    n_var = int(n * VARIANT_SHARE)
    n_base = n - n_var
    ranks = np.minimum(rng.zipf(1.15, size=(n_base, WORDS_PER_DOC)), len(vocab)) - 1
    openers = rng.integers(0, len(OPENERS), n_base)
    bases = [OPENERS[o].split() + [vocab[k] for k in row] for o, row in zip(openers, ranks.tolist(), strict=True)]
    texts: list[tuple[float, str]] = [(float(i), " ".join(b)) for i, b in enumerate(bases)]
    pairs = []
    of = rng.choice(n_base, n_var, replace=False)
    for v, b in enumerate(of.tolist()):
        words = list(bases[b])
        for _ in range(int(rng.integers(0, 11))):  # 0-10 edits spread pairs over Jaccard ~0.3-1.0
            kind, pos = int(rng.integers(0, 3)), int(rng.integers(0, len(words)))
            if kind == 0:
                words[pos] = vocab[int(rng.integers(0, len(vocab)))]
            elif kind == 1:
                words.insert(pos, vocab[int(rng.integers(0, len(vocab)))])
            elif len(words) > 10:
                del words[pos]
        texts.append((b + 0.5 + float(rng.integers(0, 20_000)), " ".join(words)))
        pairs.append((n_base + v, b))
    order = sorted(range(n), key=lambda i: texts[i][0])
    position = {old: new for new, old in enumerate(order)}
    records = [{"id": f"r{position[i]}", "instruction": texts[i][1]} for i in order]
    return records, [(position[v], position[b]) for v, b in pairs]


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """The reference: word 5-gram set by a plain regex tokenizer (independent of evol's numpy one)."""
    w = WORD_RE.findall(text.lower())
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)} or ({tuple(w)} if w else set())


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0
