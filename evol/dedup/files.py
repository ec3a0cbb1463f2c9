"""Dedup whole JSON/JSONL dataset files (what `evol dedup` runs), and the file helpers `evol decontam` shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evol.dedup.config import DedupConfig
from evol.dedup.index import DedupIndex
from evol.io import atomic_write_json, atomic_write_jsonl, read_json_or_jsonl

Record = dict[str, Any]


def sidecar(out: Path, kind: str) -> Path:
    """The file written beside OUT: clean.jsonl -> clean.removed.jsonl / clean.report.json."""
    stem = out.name.split(".")[0] or out.name
    return out.with_name(f"{stem}.{kind}")


def write_records(path: Path, records: Sequence[Record]) -> None:
    """A .json path gets a JSON list (like most public dumps); anything else gets JSONL."""
    if path.suffix == ".json":
        atomic_write_json(path, list(records))
    else:
        atomic_write_jsonl(path, records)


def write_outputs(out: Path, kept: Sequence[Record], removed: Sequence[Record], report: dict[str, Any]) -> None:
    """OUT: the kept records; OUT-stem.removed.jsonl: the removed ones (with why); OUT-stem.report.json: the report."""
    write_records(out, kept)
    atomic_write_jsonl(sidecar(out, "removed.jsonl"), removed)
    atomic_write_json(sidecar(out, "report.json"), report)


def proxies(records: Sequence[Record], fields: Sequence[str], prefix: str = "",
            lineage: str | None = None) -> list[Record]:
    """Light records for the index: the record's id (or '#<position>' without one), the fields, and its
    `lineage` field when it has one (records of one lineage are never near-dups of each other)."""
    out = []
    for i, rec in enumerate(records):
        rid = rec.get("id")
        rid = f"#{i}" if rid is None or rid == "" else str(rid)
        light = {"id": f"{prefix}{rid}", **{f: rec.get(f) for f in fields}}
        if lineage and rec.get(lineage) not in (None, ""):
            light[lineage] = rec[lineage]
        out.append(light)
    return out


def split_removed(records: Sequence[Record], verdicts: Sequence[dict | None], ids: Sequence[str]) -> tuple[list, list]:
    """(kept records, removed entries {id, why..., record}) from per-record verdicts (None = keep)."""
    kept, removed = [], []
    for rec, why, rid in zip(records, verdicts, ids, strict=True):
        if why is None:
            kept.append(rec)
        else:
            removed.append({"id": rid, **why, "record": rec})
    return kept, removed


CHUNK = 5000  # records decided per index call (in order: each call sees everything kept before it)


def dedup_file(inp: Path, out: Path, cfg: DedupConfig, against: Sequence[Path] = (),
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Keep the first of every (near-)duplicate in ``inp``; ``against`` files count as kept before it.

    ``progress(done, total)`` is called after each chunk of records.
    """
    index = DedupIndex(cfg)
    for path in against:
        index.process(proxies(read_json_or_jsonl(path), cfg.fields, f"{path.name}:", cfg.lineage_field))
    records = read_json_or_jsonl(inp)
    light = proxies(records, cfg.fields, lineage=cfg.lineage_field)
    verdicts: list = []
    for start in range(0, len(light), CHUNK):
        verdicts += index.process(light[start : start + CHUNK])
        if progress is not None:
            progress(len(verdicts), len(light))
    kept, removed = split_removed(records, verdicts, [p["id"] for p in light])
    summary = {
        "input": str(inp),
        "records": len(records),
        "kept": len(kept),
        "removed": dict(Counter(r["reason"] for r in removed)),
        "against": [str(p) for p in against],
        "lineage_records": sum(1 for p in light if cfg.lineage_field and cfg.lineage_field in p),
        "config": cfg.model_dump(),
    }
    write_outputs(out, kept, removed, summary)
    return summary
