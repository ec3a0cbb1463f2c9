"""The on-disk form of a DedupIndex: one versioned .npz file of named arrays, written atomically.

This module knows the file, not the index: the index's stores and tables say which arrays they save
(``to_arrays``) and rebuild themselves from them; a shared (Redis) store saves only a marker.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evol.dedup.version import differences, version
from evol.errors import ConfigError, DataError
from evol.io import atomic_writer

if TYPE_CHECKING:
    from evol.dedup.config import DedupConfig

FORMAT = 1


def json_array(obj: object) -> np.ndarray:
    """A JSON value as a uint8 array (npz holds arrays only, and no pickles)."""
    return np.frombuffer(json.dumps(obj).encode(), np.uint8)


def array_json(arr: np.ndarray) -> Any:
    """The inverse of ``json_array``."""
    return json.loads(arr.tobytes())


def write_index_file(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` and ``arrays`` to ``path`` via a temporary file in the same folder and a rename."""
    with atomic_writer(path) as fh:
        np.savez(fh, meta=json_array({"format": FORMAT, **meta}), **arrays)


def read_index_file(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a saved index; DataError naming the path when it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = array_json(data.pop("meta"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such dedup index") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable dedup index ({exc})") from None
    return meta, data


def check_version(meta: dict[str, Any], cfg: DedupConfig, path: Path) -> None:
    """ConfigError if the file was built with another seed, n-gram, permutations, scheme, fields or format."""
    diff = differences(meta, version(cfg))
    if meta.get("format") != FORMAT or diff:
        detail = ", ".join(f"{k}: index has {a!r}, config has {b!r}" for k, (a, b) in diff.items())
        raise ConfigError(f"{path}: dedup index does not match the config ({detail or 'format'}); rebuild it")
