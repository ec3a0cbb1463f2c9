"""Record ids and lineage fields. Records are plain dicts so every stage and file shares one shape."""

from __future__ import annotations

import hashlib
from typing import Any

Record = dict[str, Any]


def short_hash(*parts: str, size: int = 8) -> str:
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def seed_id(instruction: str) -> str:
    """Seeds are named by their text, so the same seed has the same id in every run."""
    return "s-" + short_hash(instruction)


def child_id(parent_id: str, round_no: int) -> str:
    """The evolved child of `parent_id` in round `round_no`: deterministic for a given config and seed."""
    return f"r{round_no}-" + short_hash(parent_id, str(round_no))


def make_seed(instruction: str, output: str | None = None, source: str = "") -> Record:
    rid = seed_id(instruction)
    return {
        "id": rid, "parent_id": None, "root_id": rid, "round": 0, "method": "seed", "model": None,
        "instruction": instruction, "output": output, "source": source,
    }
