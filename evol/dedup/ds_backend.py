"""LSH tables backed by datasketch's MinHashLSH (same bands and rows, same signatures).

Slower than the numpy tables (one Python call per document and band) but it accepts datasketch's
``storage_config``, e.g. ``{"type": "redis", "redis": {"host": ..., "port": ...}}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evol.dedup.minhash import SCHEME

if TYPE_CHECKING:
    from evol.dedup.config import DedupConfig


class DatasketchTables:
    """The ``BandTables`` interface over ``datasketch.MinHashLSH``; keys are index rows."""

    def __init__(self, cfg: DedupConfig, bands: int, rows: int) -> None:
        from datasketch import MinHashLSH

        self.cfg = cfg
        self.lsh = MinHashLSH(
            threshold=cfg.threshold,
            num_perm=cfg.num_perm,
            params=(bands, rows),
            storage_config=cfg.storage_config,
        )
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _minhash(self, sig: np.ndarray):  # noqa: ANN202 - datasketch type
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.cfg.seed, hashvalues=sig, scheme=SCHEME)

    def insert(self, keys: np.ndarray, rows: np.ndarray, sigs: np.ndarray | None = None) -> None:
        if sigs is None:
            raise ValueError("the datasketch backend needs signatures to insert")
        with self.lsh.insertion_session() as session:
            for row, sig in zip(np.asarray(rows).tolist(), sigs, strict=True):
                session.insert(int(row), self._minhash(sig), check_duplication=False)
        self._count += len(rows)

    def query(self, keys: np.ndarray, sigs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if sigs is None:
            raise ValueError("the datasketch backend needs signatures to query")
        qs: list[int] = []
        found: list[int] = []
        if self._count:
            for q, sig in enumerate(sigs):
                hits = self.lsh.query(self._minhash(sig))
                qs.extend([q] * len(hits))
                found.extend(int(h) for h in hits)
        return np.asarray(qs, np.int64), np.asarray(found, np.int64)
