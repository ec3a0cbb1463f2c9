"""Decontaminate a whole JSON/JSONL dataset file (what `evol decontam` runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.decontam.checker import Decontaminator
from evol.decontam.config import DecontamConfig
from evol.dedup.files import proxies, split_removed, write_outputs
from evol.io import read_json_or_jsonl


def decontam_file(inp: Path, out: Path, cfg: DecontamConfig,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Drop records that overlap or reword a benchmark problem; the report counts hits per item.

    ``progress(done, total)`` is called after each batch of records.
    """
    deco = Decontaminator(cfg)
    records = read_json_or_jsonl(inp)
    verdicts = deco.check_many(records, progress)
    kept, removed = split_removed(records, verdicts, [p["id"] for p in proxies(records, [])])
    report = {"input": str(inp), "records": len(records), "kept": len(kept), **deco.report()}
    write_outputs(out, kept, removed, report)
    return report
