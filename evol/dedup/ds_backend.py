"""LSH tables backed by datasketch's MinHashLSH (same bands and rows, same signatures).

Slower than the numpy tables (Python calls per document and band) but it accepts datasketch's
``storage_config``, e.g. ``{"type": "redis", "redis": {"host": ..., "port": ...}, "basename": b"..."}``,
whose bands several workers share (with ``redis_store.RedisStore`` holding what verifies a candidate).
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import numpy as np

from evol.dedup.minhash import SCHEME

if TYPE_CHECKING:
    from evol.dedup.config import DedupConfig


class DatasketchTables:
    """The ``BandTables`` interface over ``datasketch.MinHashLSH``; keys are index rows."""

    def __init__(self, cfg: DedupConfig, bands: int, rows: int) -> None:
        from datasketch import MinHashLSH

        from evol.dedup.redis_store import datasketch_config

        self.cfg = cfg
        self.shared = cfg.shared()  # other workers add to the bands too: always ask the storage
        self.lsh = MinHashLSH(
            threshold=cfg.threshold,
            num_perm=cfg.num_perm,
            params=(bands, rows),
            storage_config=datasketch_config(cfg.storage_config) if cfg.storage_config else None,
        )
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Nothing: datasketch's bands are rebuilt from the stored sets, or live in Redis."""
        return {}

    def restore(self, data: dict[str, np.ndarray]) -> bool:
        return False

    def _minhash(self, sig: np.ndarray):  # noqa: ANN202 - datasketch type
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.cfg.seed, hashvalues=sig, scheme=SCHEME)

    def insert(self, keys: np.ndarray, rows: np.ndarray, sigs: np.ndarray | None = None) -> None:
        if sigs is None:
            raise ValueError("the datasketch backend needs signatures to insert")
        if len(rows) == 0:
            return
        with self.lsh.insertion_session() as session:
            for row, sig in zip(np.asarray(rows).tolist(), sigs, strict=True):
                session.insert(int(row), self._minhash(sig), check_duplication=False)
        self._count += len(rows)

    def query(self, keys: np.ndarray, sigs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if sigs is None:
            raise ValueError("the datasketch backend needs signatures to query")
        if self.shared and len(sigs):
            return self._query_batched(sigs)
        qs: list[int] = []
        found: list[int] = []
        if self._count:
            for q, sig in enumerate(sigs):
                hits = self.lsh.query(self._minhash(sig))
                qs.extend([q] * len(hits))
                found.extend(int(h) for h in hits)
        return np.asarray(qs, np.int64), np.asarray(found, np.int64)

    def _query_batched(self, sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``MinHashLSH.query`` for many documents, one storage round trip per band (``getmany``)."""
        lsh = self.lsh
        values = [self._minhash(sig).hashvalues for sig in sigs]
        hits: list[set[bytes]] = [set() for _ in sigs]
        for (start, end), table in zip(lsh.hashranges, lsh.hashtables, strict=True):
            for q, keys in enumerate(table.getmany(*[lsh._H(v[start:end]) for v in values])):
                hits[q].update(keys)
        qs = [q for q, h in enumerate(hits) for _ in h]
        rows = [int(pickle.loads(k) if lsh.prepickle else k) for h in hits for k in h]
        return np.asarray(qs, np.int64), np.asarray(rows, np.int64)
