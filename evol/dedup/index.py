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
from evol.dedup.persist import check_version, read_index_file, write_index_file
from evol.dedup.records import record_id, record_text
from evol.dedup.store import MemoryStore, RecordStore
from evol.dedup.tokens import exact_keys, shingles32, tokenize
from evol.dedup.version import version
from evol.errors import ConfigError, DataError

Removal = dict[str, Any]
CHUNK_DOCS = 4096  # documents decided together; later chunks see the earlier chunks' kept records
_EPS = 1e-9
_REBUILD_BATCH = 20_000


class DedupIndex:
    """The kept records' exact keys, shingle sets and LSH band keys; see ``process``.

    Everything lives in this process, unless ``cfg.shared()``: then the bands (datasketch) and the
    verification data (``redis_store.RedisStore``) live in Redis and every worker naming the same
    basename shares the index.
    """

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.bands, self.rows = cfg.band_shape()
        if cfg.shared():
            from evol.dedup.redis_store import RedisStore

            self.store: RecordStore = RedisStore(cfg, self.bands, self.rows)
        else:
            self.store = MemoryStore()
        if cfg.backend == "datasketch":
            from evol.dedup.ds_backend import DatasketchTables

            self.tables: Any = DatasketchTables(cfg, self.bands, self.rows)
        else:
            self.tables = BandTables(self.bands)

    # -- persistence -------------------------------------------------------------------------
    @classmethod
    def load(cls, cfg: DedupConfig, path: str | Path) -> DedupIndex:
        """An index saved by ``save``; ConfigError when its version does not match ``cfg``."""
        path = Path(path)
        meta, data = read_index_file(path)
        check_version(meta, cfg, path)
        shared = meta.get("storage") == "redis"
        if shared != cfg.shared():
            where = ("in Redis", "in the file") if shared else ("in the file", "in Redis")
            raise ConfigError(f"{path}: the dedup index lives {where[0]} but the config keeps it {where[1]}")
        if shared:
            from evol.dedup.redis_store import RedisStore, check_basename

            assert cfg.storage_config is not None
            check_basename(cfg.storage_config, meta, path)
            index = cls(cfg)  # checks the version stored in Redis too
            assert isinstance(index.store, RedisStore)
            index.store.check_marker(meta, path)
            return index
        index = cls(cfg)
        try:
            index.store = MemoryStore.from_arrays(data)
        except (KeyError, ValueError) as exc:
            raise DataError(f"{path}: not a readable dedup index ({exc})") from None
        same_bands = (meta.get("bands"), meta.get("rows")) == (index.bands, index.rows)
        if not (same_bands and index.tables.restore(data)):
            index.rebuild_tables()
        return index

    def save(self, path: str | Path) -> None:
        """Write the whole index atomically (temporary file, then rename); a shared index writes a marker."""
        meta = {**version(self.cfg), "bands": self.bands, "rows": self.rows, **self.store.marker()}
        write_index_file(Path(path), meta, {**self.store.to_arrays(), **self.tables.to_arrays()})

    def rebuild_tables(self) -> None:
        """Re-derive the LSH tables from the stored shingle sets (after a threshold change)."""
        assert isinstance(self.store, MemoryStore)
        sets = self.store.sets
        sizes = sets.sizes()
        for start in range(0, len(sizes), _REBUILD_BATCH):
            rows = np.arange(start, min(start + _REBUILD_BATCH, len(sizes)))
            rows = rows[sizes[rows] > 0]
            part = sets.take(rows)
            doc = np.repeat(np.arange(len(rows)), np.diff(part.offsets))
            sigs = signatures(part.values, doc, len(rows), self.cfg.num_perm, self.cfg.seed)
            self.tables.insert(band_keys(sigs, self.bands, self.rows), rows, sigs)

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, rid: object) -> bool:
        return bool(self.store.known([str(rid)]))

    # -- the work ----------------------------------------------------------------------------
    def process(self, records: Sequence[dict[str, Any]]) -> list[Removal | None]:
        """Decide every record in order: None = kept (and indexed), else why it was removed.

        A record is compared with everything kept before it: the index and the earlier records
        of this batch. Records whose id is already indexed count as kept; records with no text
        in the configured fields are kept and not indexed.
        """
        out: list[Removal | None] = [None] * len(records)
        rids = [record_id(rec, i) for i, rec in enumerate(records)]
        known = self.store.known(rids)
        todo = [i for i in range(len(records)) if rids[i] not in known]
        texts: dict[int, str] = {i: record_text(records[i], self.cfg.fields) for i in todo}
        keys: dict[int, int] = {}
        for start in range(0, len(todo), 4 * CHUNK_DOCS):
            part = todo[start : start + 4 * CHUNK_DOCS]
            ks, counts = exact_keys([texts[i] for i in part])
            keys.update((i, k) for i, k, c in zip(part, ks.tolist(), counts.tolist(), strict=True) if c)
        pending: dict[int, int] = {}  # exact copy -> the first record in this batch with its text
        first_of: dict[int, int] = {}
        reps: list[int] = []
        texted = [i for i in todo if i in keys]  # no text in the configured fields: nothing to compare
        holders = self.store.exact_ids([keys[i] for i in texted]) if self.cfg.exact else [None] * len(texted)
        for i, holder in zip(texted, holders, strict=True):
            key = keys[i]
            if self.cfg.exact:
                if holder is not None:
                    out[i] = {"reason": "exact_dup", "dup_of": holder, "similarity": 1.0}
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
        got = self.store.fetch(rows)
        sim = pair_jaccard(sets.take(q), got.sets) if len(q) else np.empty(0)
        ok = sim >= threshold
        group = self._group_of(records, chunk)
        if cfg.lineage_field:  # a record never duplicates its own lineage
            ok[ok] = [group[qi] != got.groups[row] for qi, row in zip(q[ok].tolist(), rows[ok].tolist(), strict=True)]
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
                dup_of = got.ids[row]
            else:
                alive = [(s, b) for s, b in inside[local] if kept[b]]
                if not alive:
                    continue
                s, b = max(alive, key=lambda t: (t[0], -t[1]))
                dup_of = str(records[chunk[b]]["id"])
            kept[local] = False
            out[chunk[local]] = {"reason": "near_dup", "dup_of": dup_of, "similarity": round(float(s), 4)}
        lost = self._add(records, chunk, keys, sets, sigs, bkeys, live, kept)
        if lost:  # another worker indexed the same text meanwhile: point at its record instead
            winner = {str(records[chunk[local]]["id"]): holder for local, holder in lost.items()}
            for local in range(n):
                why = out[chunk[local]]
                if why is not None and why["dup_of"] in winner:
                    why["dup_of"] = winner[why["dup_of"]]
            for local, holder in lost.items():
                out[chunk[local]] = {"reason": "exact_dup", "dup_of": holder, "similarity": 1.0}

    def _group_of(self, records: Sequence[dict[str, Any]], chunk: list[int]) -> list[str]:
        """Each chunk record's lineage value (its own id when it has none, or lineage is off)."""
        field = self.cfg.lineage_field
        return [str((records[i].get(field) if field else None) or records[i]["id"]) for i in chunk]

    def _add(self, records, chunk, keys, sets, sigs, bkeys, live, kept) -> dict[int, str]:  # noqa: ANN001
        """Index the kept records of a chunk; returns those that lost their exact key (local -> holder id)."""
        group = self._group_of(records, chunk)
        keep_local = np.flatnonzero(kept)
        picked = keep_local.tolist()
        added = self.store.add(
            [str(records[chunk[local]]["id"]) for local in picked],
            [group[local] for local in picked],
            [keys[local] for local in picked],
            sets.take(keep_local),
        )
        lost = {picked[j]: holder for j, holder in added.lost.items()}
        if lost:
            kept[list(lost)] = False
        new_row = np.full(len(chunk), -1, np.int64)
        new_row[keep_local] = added.rows
        live_kept = kept[live]
        self.tables.insert(bkeys[live_kept], new_row[live[live_kept]], sigs[live_kept])
        return lost
