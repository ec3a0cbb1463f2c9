"""Saving and loading a DedupIndex as one versioned .npz file, written atomically.

A shared index (Redis) lives in Redis: its file is only a marker (version, basename, record count).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from evol.dedup.jaccard import ShingleSets
from evol.dedup.minhash import SCHEME, band_keys, signatures
from evol.dedup.store import MemoryStore
from evol.errors import ConfigError, DataError
from evol.io import atomic_writer

if TYPE_CHECKING:
    from evol.dedup.config import DedupConfig
    from evol.dedup.index import DedupIndex

FORMAT = 1
TOKENIZER = "words-v1"  # bump when tokens.py changes what a word or its hash is
_REBUILD_BATCH = 20_000
T = TypeVar("T", bound="DedupIndex")


def version(cfg: DedupConfig) -> dict[str, object]:
    """What a saved index must agree on with the config that loads it."""
    return {
        "seed": cfg.seed,
        "ngram": cfg.ngram,
        "num_perm": cfg.num_perm,
        "scheme": f"{SCHEME}/{TOKENIZER}",
        "fields": list(cfg.fields),
    }


def _blob(obj: object) -> np.ndarray:
    return np.frombuffer(json.dumps(obj).encode(), np.uint8)


def save_index(index: DedupIndex, path: Path) -> None:
    """Write the index to ``path`` via a temporary file in the same folder and a rename."""
    meta = {"format": FORMAT, **version(index.cfg), "bands": index.bands, "rows": index.rows}
    store = index.store
    if not isinstance(store, MemoryStore):  # shared: the data is in Redis already
        from evol.dedup.redis_store import RedisStore

        assert isinstance(store, RedisStore)
        meta.update(storage="redis", basename=store.label, records=len(store))
        with atomic_writer(path) as fh:
            np.savez(fh, meta=_blob(meta))
        return
    arrays = {
        "meta": _blob(meta),
        "ids": _blob(store.ids),
        "groups": _blob(store.groups),
        "exact_keys": np.fromiter(store.exact.keys(), np.uint64, len(store.exact)),
        "exact_rows": np.fromiter(store.exact.values(), np.int64, len(store.exact)),
        "set_values": store.sets.values if len(store.sets) else np.empty(0, np.uint32),
        "set_offsets": store.sets.offsets,
    }
    if hasattr(index.tables, "compacted"):
        arrays["band_keys"], arrays["band_rows"] = index.tables.compacted()
    with atomic_writer(path) as fh:
        np.savez(fh, **arrays)


def load_index(cls: type[T], cfg: DedupConfig, path: Path) -> T:
    """Read an index; ConfigError if it was built with another seed, n-gram, permutations or scheme."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(data["meta"].tobytes())
        shared = meta.get("storage") == "redis"
        ids = None if shared else json.loads(data["ids"].tobytes())
        groups = json.loads(data["groups"].tobytes()) if "groups" in data else list(ids or [])
    except FileNotFoundError:
        raise DataError(f"{path}: no such dedup index") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable dedup index ({exc})") from None
    want = version(cfg)
    diff = {k: (meta.get(k), v) for k, v in want.items() if meta.get(k) != v}
    if meta.get("format") != FORMAT or diff:
        detail = ", ".join(f"{k}: index has {a!r}, config has {b!r}" for k, (a, b) in diff.items())
        raise ConfigError(f"{path}: dedup index does not match the config ({detail or 'format'}); rebuild it")
    if shared != cfg.shared():
        where = ("in Redis", "in the file") if shared else ("in the file", "in Redis")
        raise ConfigError(f"{path}: the dedup index lives {where[0]} but the config keeps it {where[1]}")
    if shared:
        return _attach(cls, cfg, meta, path)
    index = cls(cfg)
    store = index.store
    assert isinstance(store, MemoryStore) and ids is not None and groups is not None
    store.ids = ids
    store.groups = groups
    store.row_of = {rid: row for row, rid in enumerate(ids)}
    store.exact = dict(zip(data["exact_keys"].tolist(), data["exact_rows"].tolist(), strict=True))
    store.sets = ShingleSets(data["set_values"], data["set_offsets"].astype(np.int64))
    same_bands = (meta.get("bands"), meta.get("rows")) == (index.bands, index.rows)
    if same_bands and "band_keys" in data and hasattr(index.tables, "runs"):
        if data["band_keys"].shape[1]:
            index.tables.runs = [(data["band_keys"], data["band_rows"])]
    else:
        rebuild_tables(index)
    return index


def _attach(cls: type[T], cfg: DedupConfig, meta: dict, path: Path) -> T:
    """The shared index a marker file names; ConfigError for another basename, DataError if Redis lost records."""
    from evol.dedup.redis_store import RedisStore, basename

    assert cfg.storage_config is not None
    name = basename(cfg.storage_config).decode("latin-1")
    if meta.get("basename") != name:
        raise ConfigError(f"{path}: the index was saved under basename {meta.get('basename')!r}, not {name!r}")
    index = cls(cfg)  # checks the version stored in Redis too
    store = index.store
    assert isinstance(store, RedisStore)
    if len(store) < int(meta.get("records", 0)):
        raise DataError(
            f"{path}: Redis holds {len(store)} records under {store.label!r}, the marker saw {meta['records']}; "
            "Redis lost data (restart without persistence?), rebuild the index"
        )
    return index


def rebuild_tables(index: DedupIndex) -> None:
    """Re-derive the LSH tables from the stored shingle sets (after a threshold change)."""
    assert isinstance(index.store, MemoryStore)
    sets, cfg = index.store.sets, index.cfg
    sizes = sets.sizes()
    for start in range(0, len(sizes), _REBUILD_BATCH):
        rows = np.arange(start, min(start + _REBUILD_BATCH, len(sizes)))
        rows = rows[sizes[rows] > 0]
        part = sets.take(rows)
        doc = np.repeat(np.arange(len(rows)), np.diff(part.offsets))
        sigs = signatures(part.values, doc, len(rows), cfg.num_perm, cfg.seed)
        index.tables.insert(band_keys(sigs, index.bands, index.rows), rows, sigs)
