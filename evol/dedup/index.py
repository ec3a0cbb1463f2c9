"""DedupIndex: exact then near-duplicate removal against everything kept so far, round after round."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evol.dedup.config import DedupConfig
from evol.dedup.jaccard import ShingleSets, pair_jaccard
from evol.dedup.lsh import BandTables, within_pairs
from evol.dedup.minhash import band_keys, signatures
from evol.dedup.records import record_id, record_text
from evol.dedup.tokens import exact_keys, shingles32, tokenize

Removal = dict[str, Any]
CHUNK_DOCS = 4096  # documents decided together; later chunks see the earlier chunks' kept records
_EPS = 1e-9


class DedupIndex:
    """The kept records' exact keys, shingle sets and LSH band keys; see ``process``."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.bands, self.rows = cfg.band_shape()
        self.ids: list[str] = []
        self.groups: list[str] = []  # lineage of each indexed record (see DedupConfig.lineage_field)
        self.row_of: dict[str, int] = {}
        self.exact: dict[int, int] = {}
        self.sets = ShingleSets()
        if cfg.backend == "datasketch":
            from evol.dedup.ds_backend import DatasketchTables

            self.tables: Any = DatasketchTables(cfg, self.bands, self.rows)
        else:
            self.tables = BandTables(self.bands)

    # -- persistence -------------------------------------------------------------------------
    @classmethod
    def load(cls, cfg: DedupConfig, path: str | Path) -> DedupIndex:
        """An index saved by ``save``; ConfigError when its version does not match ``cfg``."""
        from evol.dedup.persist import load_index

        return load_index(cls, cfg, Path(path))

    def save(self, path: str | Path) -> None:
        """Write the whole index atomically (temporary file, then rename)."""
        from evol.dedup.persist import save_index

        save_index(self, Path(path))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, rid: object) -> bool:
        return str(rid) in self.row_of

    # -- the work ----------------------------------------------------------------------------
    def process(self, records: Sequence[dict[str, Any]]) -> list[Removal | None]:
        """Decide every record in order: None = kept (and indexed), else why it was removed.

        A record is compared with everything kept before it: the index and the earlier records
        of this batch. Records whose id is already indexed count as kept; records with no text
        in the configured fields are kept and not indexed.
        """
        out: list[Removal | None] = [None] * len(records)
        todo = [i for i, rec in enumerate(records) if record_id(rec, i) not in self.row_of]
        texts: dict[int, str] = {i: record_text(records[i], self.cfg.fields) for i in todo}
        keys: dict[int, int] = {}
        for start in range(0, len(todo), 4 * CHUNK_DOCS):
            part = todo[start : start + 4 * CHUNK_DOCS]
            ks, counts = exact_keys([texts[i] for i in part])
            keys.update((i, k) for i, k, c in zip(part, ks.tolist(), counts.tolist(), strict=True) if c)
        pending: dict[int, int] = {}  # exact copy -> the first record in this batch with its text
        first_of: dict[int, int] = {}
        reps: list[int] = []
        for i in todo:
            key = keys.get(i)
            if key is None:  # no text in the configured fields: nothing to compare
                continue
            if self.cfg.exact:
                row = self.exact.get(key)
                if row is not None:
                    out[i] = {"reason": "exact_dup", "dup_of": self.ids[row], "similarity": 1.0}
                    continue
                if key in first_of:
                    pending[i] = first_of[key]
                    continue
                first_of[key] = i
            reps.append(i)
        for start in range(0, len(reps), CHUNK_DOCS):
            chunk = reps[start : start + CHUNK_DOCS]
            self._near_chunk(records, chunk, [texts[i] for i in chunk], [keys[i] for i in chunk], out)
        for i, rep in pending.items():
            first = out[rep]
            out[i] = (
                {"reason": "exact_dup", "dup_of": str(records[rep]["id"]), "similarity": 1.0}
                if first is None
                else dict(first)
            )
        return out

    def _near_chunk(
        self,
        records: Sequence[dict[str, Any]],
        chunk: list[int],
        texts: list[str],
        keys: list[int],
        out: list[Removal | None],
    ) -> None:
        cfg = self.cfg
        n = len(chunk)
        sh, doc = shingles32(tokenize(texts), cfg.ngram)
        sets = ShingleSets.from_docs(sh, doc, n)
        live = np.flatnonzero(sets.sizes() > 0)  # no words: nothing to compare, always kept
        sigs = signatures(sh, doc, n, cfg.num_perm, cfg.seed)[live]
        bkeys = band_keys(sigs, self.bands, self.rows)
        threshold = cfg.threshold - _EPS
        # Against the index: every verified match is a kept record.
        q, rows = self.tables.query(bkeys, sigs)
        q = live[q]
        sim = pair_jaccard(sets.take(q), self.sets.take(rows)) if len(q) else np.empty(0)
        ok = sim >= threshold
        group = self._group_of(records, chunk)
        if cfg.lineage_field:  # a record never duplicates its own lineage
            ok[ok] = [group[qi] != self.groups[row] for qi, row in zip(q[ok].tolist(), rows[ok].tolist(), strict=True)]
        best_index: dict[int, tuple[float, int]] = {}
        for qi, row, s in sorted(
            zip(q[ok].tolist(), rows[ok].tolist(), sim[ok].tolist(), strict=True), key=lambda t: (-t[2], t[1])
        ):
            best_index.setdefault(qi, (s, row))
        # Inside the chunk: a match counts only if the earlier record was kept.
        later, earlier = within_pairs(bkeys)
        later, earlier = live[later], live[earlier]
        sim2 = pair_jaccard(sets.take(later), sets.take(earlier)) if len(later) else np.empty(0)
        ok2 = sim2 >= threshold
        if cfg.lineage_field:
            ok2[ok2] = [group[a] != group[b] for a, b in zip(later[ok2].tolist(), earlier[ok2].tolist(), strict=True)]
        inside: dict[int, list[tuple[float, int]]] = {}
        for a, b, s in zip(later[ok2].tolist(), earlier[ok2].tolist(), sim2[ok2].tolist(), strict=True):
            inside.setdefault(a, []).append((s, b))
        kept = np.ones(n, bool)
        for local in sorted(set(best_index) | set(inside)):
            if local in best_index:
                s, row = best_index[local]
                dup_of = self.ids[row]
            else:
                alive = [(s, b) for s, b in inside[local] if kept[b]]
                if not alive:
                    continue
                s, b = max(alive, key=lambda t: (t[0], -t[1]))
                dup_of = str(records[chunk[b]]["id"])
            kept[local] = False
            out[chunk[local]] = {"reason": "near_dup", "dup_of": dup_of, "similarity": round(float(s), 4)}
        self._add(records, chunk, keys, sets, sigs, bkeys, live, kept)

    def _group_of(self, records: Sequence[dict[str, Any]], chunk: list[int]) -> list[str]:
        """Each chunk record's lineage value (its own id when it has none, or lineage is off)."""
        field = self.cfg.lineage_field
        return [str((records[i].get(field) if field else None) or records[i]["id"]) for i in chunk]

    def _add(self, records, chunk, keys, sets, sigs, bkeys, live, kept) -> None:  # noqa: ANN001
        """Index the kept records of a chunk."""
        group = self._group_of(records, chunk)
        base = len(self.ids)
        keep_local = np.flatnonzero(kept)
        new_row = np.full(len(chunk), -1, np.int64)
        new_row[keep_local] = base + np.arange(len(keep_local))
        for local in keep_local.tolist():
            rid = str(records[chunk[local]]["id"])
            self.row_of[rid] = len(self.ids)
            self.ids.append(rid)
            self.groups.append(group[local])
            self.exact.setdefault(keys[local], self.row_of[rid])
        self.sets.append(sets.take(keep_local))
        live_kept = kept[live]
        self.tables.insert(bkeys[live_kept], new_row[live[live_kept]], sigs[live_kept])
