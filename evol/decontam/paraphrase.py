"""Near-paraphrase check: idf-weighted share of a benchmark problem's content words found in a record.

Rewordings keep a problem's rare words (``closer``, ``threshold``, ``palindrome``) while changing its
phrasing, so word n-grams miss them but a weighted word-set overlap does not. A share alone is not enough:
a short, generic description ("You are given a non-empty list of positive integers.") is fully covered by
many unrelated tasks, so a flag also needs `min_weight` of matched idf mass (enough rare words in common).
Both thresholds are measured on the labelled true/false pairs in tests/decontam/test_paraphrase_labels.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from evol.decontam.benchmarks import BenchmarkItem
from evol.decontam.lookup import SortedHashes
from evol.decontam.overlap import Match
from evol.dedup.jaccard import sorted_unique
from evol.dedup.tokens import TokenBatch, tokenize

STOPWORDS = """
a an the and or but if then else of in on at to for from by with without into onto over under as is are was
were be been being it its this that these those there their them they we you your i me my our us he she his
her which who whom whose what when where why how all any each every both either neither some such no not
only own same so than too very can could will would shall should may might must do does did done have has
had having also just up down out about after before between through during while until again further once
here other others another more most less least many much few one first second given return returns
returned write writes implement create make function functions method program code python script solution
problem task following below above example examples e g ie eg note please use using uses used takes take
input inputs output outputs value values result results def true false none
"""


def _hashes(words: Sequence[str]) -> np.ndarray:
    return np.unique(tokenize([" ".join(words)]).hashes)


_STOP = SortedHashes(_hashes(STOPWORDS.split()))
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def content_words(batch: TokenBatch) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-stopword words per document as (doc, 48-bit word hash), sorted by doc."""
    return unique_pairs(batch.doc_of_token(), batch.hashes, ~_STOP.contains(batch.hashes))


def unique_pairs(doc: np.ndarray, h: np.ndarray, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (doc, h >> 16) pairs, sorted; packed into one uint64 sort when doc < 2**16."""
    if keep is not None:
        doc, h = doc[keep], h[keep]
    h48 = h >> np.uint64(16)
    if len(doc) == 0 or int(doc.max()) < (1 << 16):
        packed = sorted_unique((doc.astype(np.uint64) << np.uint64(48)) | h48)
        return (packed >> np.uint64(48)).astype(np.int64), packed & np.uint64((1 << 48) - 1)
    pairs = np.unique(np.stack([doc.astype(np.uint64), h48]), axis=1)
    return pairs[0].astype(np.int64), pairs[1]


class ParaphraseMatcher:
    """Scores every record against every benchmark problem description in one vectorised pass."""

    def __init__(self, items: Sequence[BenchmarkItem], threshold: float, min_words: int, max_ratio: float,
                 min_weight: float = 0.0) -> None:
        self.threshold, self.max_ratio, self.min_weight = threshold, max_ratio, min_weight
        # One row per description: the main docstring, and its first sentence when it has several.
        owner, texts = [], []
        for i, item in enumerate(items):
            full = (item.docstrings() or [item.prompt])[-1]
            first = _SENTENCE.split(full.strip(), maxsplit=1)[0]
            for text in dict.fromkeys([full, first]):
                owner.append(i)
                texts.append(text)
        owner_arr = np.asarray(owner, np.int64)
        row, word = content_words(tokenize(texts))
        sizes = np.bincount(row, minlength=len(texts))
        ok = sizes[row] >= min_words
        row, word = row[ok], word[ok]
        # idf within each benchmark (df counted over items), so words common to all of it weigh little.
        bench = np.array([items[i].benchmark for i in owner])
        weight = np.zeros(len(row))
        for name in np.unique(bench):
            members = bench[row] == name
            item_of, item_word = unique_pairs(owner_arr[row[members]], word[members] << np.uint64(16))
            vocab, df = np.unique(item_word, return_counts=True)
            idf = np.log1p(len(np.unique(item_of)) / df)
            weight[members] = idf[np.searchsorted(vocab, word[members])]
        order = np.argsort(word, kind="stable")
        self.words, self.rows, self.weights = word[order], row[order], weight[order]
        self.vocab = SortedHashes(self.words << np.uint64(16))  # same order as words (already sorted)
        self.owner = owner_arr
        self.texts = texts  # the description each row scores against (a flag shows it)
        self.totals = np.bincount(row, weights=weight, minlength=len(texts))
        self.sizes = np.bincount(row, minlength=len(texts))

    def match(self, batches: Sequence[TokenBatch], n_docs: int) -> list[Match | None]:
        return [None if m is None else m[:2] for m in self.match_rows(batches, n_docs)]

    def match_rows(self, batches: Sequence[TokenBatch], n_docs: int) -> list[tuple[int, float, int] | None]:
        """Per document: None, or (item, score, row) of its best-scoring description over both thresholds."""
        out: list[tuple[int, float, int] | None] = [None] * n_docs
        if len(self.words) == 0 or not batches:
            return out
        parts = [content_words(b) for b in batches]
        doc, word = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if len(parts) > 1:
            doc, word = unique_pairs(doc, word << np.uint64(16))
        n_words = np.bincount(doc, minlength=n_docs)
        sel, lo, hi = self.vocab.ranges(word << np.uint64(16))
        if len(sel) == 0:
            return out
        rep = hi - lo
        d = np.repeat(doc[sel], rep)
        pos = np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep - lo, rep)
        key = d * len(self.totals) + self.rows[pos]
        uniq, inv = np.unique(key, return_inverse=True)
        mass = np.bincount(inv, weights=self.weights[pos])
        score = mass / self.totals[uniq % len(self.totals)]
        docs, rows = uniq // len(self.totals), uniq % len(self.totals)
        good = ((score >= self.threshold) & (mass >= self.min_weight)
                & (n_words[docs] <= self.max_ratio * self.sizes[rows]))
        for doc_i, row_i, s in zip(docs[good].tolist(), rows[good].tolist(), score[good].tolist(), strict=True):
            if out[doc_i] is None or s > out[doc_i][1]:
                out[doc_i] = (int(self.owner[row_i]), s, row_i)
        return out
