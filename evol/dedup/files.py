"""Dedup and decontaminate whole JSON/JSONL dataset files (what the standalone commands run)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evol.dedup.config import DecontamConfig, DedupConfig
from evol.dedup.decontam import Decontaminator
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


def _proxies(records: Sequence[Record], fields: Sequence[str], prefix: str = "") -> list[Record]:
    """Light records for the index: the record's id (or '#<position>' without one) and the fields."""
    out = []
    for i, rec in enumerate(records):
        rid = rec.get("id")
        rid = f"#{i}" if rid is None or rid == "" else str(rid)
        out.append({"id": f"{prefix}{rid}", **{f: rec.get(f) for f in fields}})
    return out


def _split(records: Sequence[Record], verdicts: Sequence[dict | None], ids: Sequence[str]) -> tuple[list, list]:
    kept, removed = [], []
    for rec, why, rid in zip(records, verdicts, ids, strict=True):
        if why is None:
            kept.append(rec)
        else:
            removed.append({"id": rid, **why, "record": rec})
    return kept, removed


def dedup_file(inp: Path, out: Path, cfg: DedupConfig, against: Sequence[Path] = ()) -> dict[str, Any]:
    """Keep the first of every (near-)duplicate in ``inp``; ``against`` files count as kept before it."""
    index = DedupIndex(cfg)
    for path in against:
        index.process(_proxies(read_json_or_jsonl(path), cfg.fields, prefix=f"{path.name}:"))
    records = read_json_or_jsonl(inp)
    proxies = _proxies(records, cfg.fields)
    verdicts = index.process(proxies)
    kept, removed = _split(records, verdicts, [p["id"] for p in proxies])
    write_records(out, kept)
    atomic_write_jsonl(sidecar(out, "removed.jsonl"), removed)
    summary = {
        "input": str(inp),
        "records": len(records),
        "kept": len(kept),
        "removed": dict(Counter(r["reason"] for r in removed)),
        "against": [str(p) for p in against],
        "config": cfg.model_dump(),
    }
    atomic_write_json(sidecar(out, "report.json"), summary)
    return summary


def decontam_file(inp: Path, out: Path, cfg: DecontamConfig) -> dict[str, Any]:
    """Drop records that overlap or reword a benchmark problem; the report counts hits per item."""
    deco = Decontaminator(cfg)
    records = read_json_or_jsonl(inp)
    verdicts = deco.check_many(records)
    ids = [p["id"] for p in _proxies(records, [])]
    kept, removed = _split(records, verdicts, ids)
    write_records(out, kept)
    atomic_write_jsonl(sidecar(out, "removed.jsonl"), removed)
    report = {"input": str(inp), "records": len(records), "kept": len(kept), **deco.report()}
    atomic_write_json(sidecar(out, "report.json"), report)
    return report
