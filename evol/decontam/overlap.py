"""Verbatim benchmark overlap: shared word n-grams, and whole short docstrings found as substrings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evol.decontam.benchmarks import BenchmarkItem
from evol.decontam.lookup import SortedHashes
from evol.dedup.tokens import TokenBatch, ngram_hashes, tokenize

Match = tuple[int, float]  # (item index, similarity)


class NgramMatcher:
    """Word n-grams of every item, minus those that occur in more than ``max_items`` items of one benchmark."""

    def __init__(self, items: Sequence[BenchmarkItem], n: int, max_items: int) -> None:
        self.n = n
        keys, owners = [], []
        totals = np.zeros(len(items), np.int64)
        by_bench: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            by_bench.setdefault(item.benchmark, []).append(i)
        for members in by_bench.values():
            h, doc, _ = ngram_hashes(tokenize([items[i].text for i in members]), n, short_docs=False)
            uniq = np.unique(np.stack([h, doc.astype(np.uint64)]), axis=1)
            h_u, d_u = uniq[0], uniq[1].astype(np.int64)
            np.add.at(totals, np.asarray(members)[d_u], 1)
            first = np.ones(len(h_u), bool)
            first[1:] = h_u[1:] != h_u[:-1]
            group = np.cumsum(first) - 1
            counts = np.bincount(group)
            keep = counts[group] <= max_items
            keys.append(h_u[keep])
            owners.append(np.asarray(members)[d_u[keep]])
        key = np.concatenate(keys) if keys else np.empty(0, np.uint64)
        owner = np.concatenate(owners) if owners else np.empty(0, np.int64)
        order = np.argsort(key, kind="stable")
        self.table, self.owners, self.totals = SortedHashes(key[order]), owner[order], totals

    def match(self, batches: Sequence[TokenBatch], n_docs: int) -> list[Match | None]:
        out: list[Match | None] = [None] * n_docs
        if len(self.table) == 0:
            return out
        docs, items, grams = [], [], []
        for batch in batches:
            h, doc, _ = ngram_hashes(batch, self.n, short_docs=False)
            hit, lo, hi = self.table.ranges(h)
            for extra in range(int((hi - lo).max(initial=0))):
                sel = (hi - lo) > extra
                docs.append(doc[hit[sel]])
                items.append(self.owners[lo[sel] + extra])
                grams.append(h[hit[sel]])
        if not docs:
            return out
        d, it, g = np.concatenate(docs), np.concatenate(items), np.concatenate(grams)
        if len(d) == 0:
            return out
        uniq = np.unique(np.stack([d, it, g.view(np.int64)]), axis=1)  # distinct n-grams per (doc, item)
        pair, counts = np.unique(uniq[:2], axis=1, return_counts=True)
        best: dict[int, Match] = {}
        for doc_i, item_i, c in zip(pair[0].tolist(), pair[1].tolist(), counts.tolist(), strict=True):
            sim = c / max(1, int(self.totals[item_i]))
            if doc_i not in best or sim > best[doc_i][1]:
                best[doc_i] = (item_i, sim)
        for doc_i, m in best.items():
            out[doc_i] = m
        return out


class DocstringMatcher:
    """Docstrings too short for the n-gram test, found whole (as a word sequence) inside a record."""

    def __init__(self, items: Sequence[BenchmarkItem], min_words: int, max_words: int) -> None:
        self.prefix = min_words
        owners, texts = [], []
        for i, item in enumerate(items):
            for d in item.docstrings():
                owners.append(i)
                texts.append(d)
        batch = tokenize(texts)
        lens = np.diff(batch.offsets)
        keep = np.flatnonzero((lens >= min_words) & (lens <= max_words))
        self.words = [batch.hashes[batch.offsets[k] : batch.offsets[k + 1]] for k in keep.tolist()]
        self.owners = [owners[k] for k in keep.tolist()]
        h, doc, pos = ngram_hashes(batch, min_words, short_docs=False)
        at_start = pos == batch.offsets[:-1][doc]
        index = {int(d): j for j, d in enumerate(keep.tolist())}
        self.starts: dict[int, list[int]] = {}
        for key, d in zip(h[at_start].tolist(), doc[at_start].tolist(), strict=True):
            if d in index:
                self.starts.setdefault(key, []).append(index[d])
        self.table = SortedHashes(np.array(sorted(self.starts), dtype=np.uint64))

    def match(self, batches: Sequence[TokenBatch], n_docs: int) -> list[Match | None]:
        out: list[Match | None] = [None] * n_docs
        if len(self.table) == 0:
            return out
        for batch in batches:
            h, doc, pos = ngram_hashes(batch, self.prefix, short_docs=False)
            for j in self.table.ranges(h)[0].tolist():
                d, p = int(doc[j]), int(pos[j])
                if out[d] is not None:
                    continue
                end = int(batch.offsets[d + 1])
                for k in self.starts[int(h[j])]:
                    words = self.words[k]
                    if p + len(words) <= end and np.array_equal(batch.hashes[p : p + len(words)], words):
                        out[d] = (self.owners[k], 1.0)
                        break
        return out
