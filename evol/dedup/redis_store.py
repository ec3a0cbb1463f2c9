"""The kept records' verification data in Redis, beside datasketch's LSH bands: several workers, one index.

All keys live under the storage_config's ``basename`` (datasketch's own are ``<basename>_bucket_*`` and ``_keys``):

- ``<basename>_evol_meta``: JSON version (seed, n-gram, permutations, scheme, fields, bands, rows); the first
  worker sets it, every later one must match it.
- ``<basename>_evol_next``: counter handing out rows (INCRBY), so rows are unique across workers.
- ``<basename>_evol_ids`` / ``_groups`` / ``_sets``: hashes row -> record id, lineage group, shingle set
  (sorted uint32, little-endian bytes); ``_rows``: hash id -> row.
- ``<basename>_evol_exact``: hash exact key (8 bytes, little-endian) -> id of the kept record with that text.

A record's data is written before its LSH bands, so anything another worker finds through the bands verifies.

Concurrency: a chunk is decided against what is indexed when it is queried. Two workers deciding near-duplicates
at the same moment may both keep them (neither was indexed when the other looked). Exact copies are settled
atomically: a record claims its exact key with HSETNX just before it is indexed, and the loser becomes an
``exact_dup`` of the winner. Workers taking turns give exactly the result of one worker processing everything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evol.dedup.jaccard import ShingleSets
from evol.dedup.store import Added, Fetched
from evol.dedup.version import differences, version
from evol.errors import ConfigError, DataError

if TYPE_CHECKING:
    import redis

    from evol.dedup.config import DedupConfig

FORMAT = 1
_LE32 = np.dtype("<u4")


def basename(storage_config: dict[str, Any]) -> bytes:
    """The storage's key prefix as bytes (config files give a str)."""
    name = storage_config["basename"]
    return name.encode() if isinstance(name, str) else bytes(name)


def check_basename(storage_config: dict[str, Any], meta: dict[str, Any], path: Path) -> None:
    """ConfigError when a marker file names another basename than the config (checked before connecting)."""
    name = basename(storage_config).decode("latin-1")
    if meta.get("basename") != name:
        raise ConfigError(f"{path}: the index was saved under basename {meta.get('basename')!r}, not {name!r}")


def datasketch_config(storage_config: dict[str, Any]) -> dict[str, Any]:
    """The storage_config as datasketch wants it (basename as bytes)."""
    out = dict(storage_config)
    if "basename" in out:
        out["basename"] = basename(out)
    return out


def connect(storage_config: dict[str, Any]) -> redis.Redis:
    """A client from datasketch's ``"redis"`` parameters ({"env": NAME, "default": ...} values read the environment)."""
    try:
        import redis
    except ImportError:
        raise ConfigError("Redis storage needs the redis package: pip install 'evol[redis]'") from None
    params = {
        k: os.getenv(v["env"], v.get("default")) if isinstance(v, dict) and "env" in v else v
        for k, v in storage_config.get("redis", {}).items()
    }
    client = redis.Redis(**params)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        raise ConfigError(f"dedup storage: cannot reach Redis with {params} ({exc})") from None
    return client


def _key(key: int) -> bytes:
    return int(key).to_bytes(8, "little")


class RedisStore:
    """The ``RecordStore`` interface over one Redis database (see the module notes)."""

    def __init__(self, cfg: DedupConfig, bands: int, rows: int) -> None:
        assert cfg.storage_config is not None
        self.redis = connect(cfg.storage_config)
        self.name = basename(cfg.storage_config)
        self.exact_on = cfg.exact
        p = self.name + b"_evol_"
        self.k_meta, self.k_next, self.k_exact = p + b"meta", p + b"next", p + b"exact"
        self.k_ids, self.k_rows, self.k_groups, self.k_sets = p + b"ids", p + b"rows", p + b"groups", p + b"sets"
        self._check_version({"format": FORMAT, **version(cfg), "bands": bands, "rows": rows})

    def _check_version(self, want: dict[str, object]) -> None:
        self.redis.set(self.k_meta, json.dumps(want, sort_keys=True), nx=True)  # the first worker sets it
        have = json.loads(self.redis.get(self.k_meta) or b"{}")
        diff = differences(have, want)
        if diff:
            detail = ", ".join(f"{k}: Redis has {a!r}, config has {b!r}" for k, (a, b) in diff.items())
            raise ConfigError(
                f"dedup index in Redis under {self.label!r} does not match the config ({detail}); "
                "use the settings it was built with, or another basename"
            )

    @property
    def label(self) -> str:
        """The basename as text (for messages and marker files)."""
        return self.name.decode("latin-1")

    def __len__(self) -> int:
        return int(self.redis.hlen(self.k_ids))

    def marker(self) -> dict[str, Any]:
        """The index file of a shared index is only a marker: where the data is and how much there was."""
        return {"storage": "redis", "basename": self.label, "records": len(self)}

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def check_marker(self, meta: dict[str, Any], path: Path) -> None:
        """DataError when Redis holds fewer records than the marker saw (it lost data)."""
        if len(self) < int(meta.get("records", 0)):
            raise DataError(
                f"{path}: Redis holds {len(self)} records under {self.label!r}, the marker saw {meta['records']}; "
                "Redis lost data (restart without persistence?), rebuild the index"
            )

    def known(self, rids: Sequence[str]) -> set[str]:
        if not rids:
            return set()
        found = self.redis.hmget(self.k_rows, list(rids))
        return {rid for rid, row in zip(rids, found, strict=True) if row is not None}

    def exact_ids(self, keys: Sequence[int]) -> list[str | None]:
        if not keys:
            return []
        found = self.redis.hmget(self.k_exact, [_key(k) for k in keys])
        return [None if v is None else v.decode() for v in found]

    def fetch(self, rows: np.ndarray) -> Fetched:
        uniq, inverse = np.unique(np.asarray(rows, np.int64), return_inverse=True)
        fields = [str(r) for r in uniq.tolist()]
        if not fields:
            return Fetched(ShingleSets(), {}, {})
        pipe = self.redis.pipeline(transaction=False)
        for key in (self.k_sets, self.k_ids, self.k_groups):
            pipe.hmget(key, fields)
        blobs, ids, groups = pipe.execute()
        # A row without data (never expected: data precedes bands) reads as an empty set, which matches nothing.
        parts = [np.frombuffer(b or b"", _LE32) for b in blobs]
        offsets = np.zeros(len(parts) + 1, np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        values = np.concatenate(parts).astype(np.uint32) if parts else np.empty(0, np.uint32)
        sets = ShingleSets(values, offsets).take(inverse.reshape(-1))
        rows_ = uniq.tolist()
        return Fetched(
            sets,
            {r: v.decode() for r, v in zip(rows_, ids, strict=True) if v is not None},
            {r: v.decode() for r, v in zip(rows_, groups, strict=True) if v is not None},
        )

    def add(self, rids: Sequence[str], groups: Sequence[str], keys: Sequence[int], sets: ShingleSets) -> Added:
        n = len(rids)
        rows = np.full(n, -1, np.int64)
        if n == 0:
            return Added(rows, {})
        pipe = self.redis.pipeline(transaction=True)  # claim the exact keys atomically, then read who holds them
        for rid, key in zip(rids, keys, strict=True):
            pipe.hsetnx(self.k_exact, _key(key), rid)
            pipe.hget(self.k_exact, _key(key))
        holders = pipe.execute()[1::2]
        lost = {i: h.decode() for i, h in enumerate(holders) if self.exact_on and h.decode() != rids[i]}
        win = [i for i in range(n) if i not in lost]
        if not win:
            return Added(rows, lost)
        end = int(self.redis.incrby(self.k_next, len(win)))
        rows[win] = np.arange(end - len(win), end)
        offs, vals = sets.offsets, sets.values
        blobs: dict[str, bytes] = {}
        ids: dict[str, str] = {}
        grps: dict[str, str] = {}
        for i, row in zip(win, rows[win].tolist(), strict=True):
            f = str(row)
            blobs[f] = vals[offs[i] : offs[i + 1]].astype(_LE32).tobytes()
            ids[f], grps[f] = rids[i], groups[i]
        pipe = self.redis.pipeline(transaction=True)  # the data first: whoever finds a row in the bands can verify it
        pipe.hset(self.k_sets, mapping=blobs)
        pipe.hset(self.k_ids, mapping=ids)
        pipe.hset(self.k_groups, mapping=grps)
        pipe.hset(self.k_rows, mapping={rid: f for f, rid in ids.items()})
        pipe.execute()
        return Added(rows, lost)
