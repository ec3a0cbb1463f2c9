"""Decontaminator: flag records that contain, or reword, a benchmark problem."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from evol.decontam.benchmarks import BenchmarkItem, load_benchmarks
from evol.decontam.config import DecontamConfig
from evol.decontam.overlap import DocstringMatcher, NgramMatcher
from evol.decontam.paraphrase import ParaphraseMatcher
from evol.dedup.records import field_text
from evol.dedup.tokens import TokenBatch, tokenize

Hit = dict[str, Any]
BATCH = 4096


class Decontaminator:
    """Loads the benchmarks once; ``check`` / ``check_many`` flag records; ``report`` counts hits."""

    def __init__(self, cfg: DecontamConfig, items: Sequence[BenchmarkItem] | None = None) -> None:
        self.cfg = cfg
        self.items = list(items) if items is not None else load_benchmarks(cfg.benchmarks)
        self.ngrams = NgramMatcher(self.items, cfg.ngram, cfg.max_items_per_ngram)
        self.docstrings = DocstringMatcher(self.items, cfg.docstring_min_words, cfg.ngram - 1)
        self.paraphrases = (
            ParaphraseMatcher(self.items, cfg.paraphrase_threshold, cfg.paraphrase_min_words, cfg.max_paraphrase_ratio,
                              cfg.paraphrase_min_weight)
            if cfg.paraphrase
            else None
        )
        self.checked = 0
        self.hits: Counter[tuple[str, str]] = Counter()
        self.methods: Counter[str] = Counter()
        self.flags: list[Hit] = []  # every flag with both texts: what was checked and what it matched

    def check(self, record: dict[str, Any]) -> Hit | None:
        """None, or why the record is contaminated (benchmark, item, method, similarity, the text it matched)."""
        return self.check_many([record])[0]

    def check_many(self, records: Sequence[dict[str, Any]],
                   progress: Callable[[int, int], None] | None = None) -> list[Hit | None]:
        """``check`` for many records at once (vectorised; far faster than one by one); ``progress(done,
        total)`` after each batch."""
        out: list[Hit | None] = []
        for start in range(0, len(records), BATCH):
            out.extend(self._check_batch(records[start : start + BATCH]))
            if progress is not None:
                progress(len(out), len(records))
        return out

    def _check_batch(self, records: Sequence[dict[str, Any]]) -> list[Hit | None]:
        n = len(records)
        fields = list(dict.fromkeys([*self.cfg.fields, *self.cfg.paraphrase_fields]))
        batches: dict[str, TokenBatch] = {f: tokenize([field_text(r.get(f)) for r in records]) for f in fields}
        main = [batches[f] for f in self.cfg.fields]
        found: list[tuple[str, list[Any]]] = [
            ("ngram", self.ngrams.match(main, n)),
            ("docstring", self.docstrings.match(main, n)),
        ]
        if self.paraphrases is not None:
            found.append(("paraphrase", self.paraphrases.match_rows([batches[f] for f in self.cfg.paraphrase_fields],
                                                                    n)))
        out: list[Hit | None] = []
        for i in range(n):
            hit = None
            for method, matches in found:
                if matches[i] is not None:
                    hit = self._hit(records[i], method, matches[i], fields)
                    break
            out.append(hit)
        self.checked += n
        return out

    def _hit(self, record: dict[str, Any], method: str, match: tuple, fields: list[str]) -> Hit:
        """The hit for one flagged record; counted, and listed in `flags` with both texts."""
        item_i, sim = match[0], match[1]
        item = self.items[item_i]
        matched = self.paraphrases.texts[match[2]] if method == "paraphrase" else item.text  # type: ignore[union-attr]
        hit = {"reason": "contaminated", "benchmark": item.benchmark, "benchmark_id": item.item_id,
               "method": method, "similarity": round(float(sim), 4), "benchmark_text": matched}
        self.hits[(item.benchmark, item.item_id)] += 1
        self.methods[method] += 1
        checked = "\n".join(t for f in fields if (t := field_text(record.get(f))))
        self.flags.append({**hit, "id": record.get("id"), "text": checked})
        return hit

    def report(self) -> dict[str, Any]:
        """Hit counts per benchmark item (every item listed, zeros included), per method, and totals."""
        per_item: dict[str, dict[str, int]] = {}
        for item in self.items:
            per_item.setdefault(item.benchmark, {})[item.item_id] = self.hits.get((item.benchmark, item.item_id), 0)
        return {
            "checked": self.checked,
            "flagged": sum(self.methods.values()),
            "by_method": dict(self.methods),
            "items_hit": {b: sum(1 for c in counts.values() if c) for b, counts in per_item.items()},
            "hits": per_item,
            "flags": list(self.flags),
        }
