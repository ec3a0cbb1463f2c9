"""Load seed instructions from JSON, JSONL, Parquet, CSV or a Hugging Face dataset, and normalize them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evol.errors import DataError
from evol.io import parse_json
from evol.records import Record, make_seed

INSTRUCTION_KEYS = ("instruction", "Instruction")
OUTPUT_KEYS = ("output", "response", "Response")


def normalize(raw: dict[str, Any], where: str, source: str) -> Record:
    """Code Alpaca shape -> record: a non-empty `input` is appended to the instruction, as the original did."""
    instruction = next((raw[k] for k in INSTRUCTION_KEYS if k in raw), None)
    if not isinstance(instruction, str) or not instruction.strip():
        raise DataError(f"{where}: record has no non-empty 'instruction'")
    extra = raw.get("input") or ""
    if not isinstance(extra, str):
        raise DataError(f"{where}: 'input' must be a string")
    text = instruction.strip() + ("\n" + extra.strip() if extra.strip() else "")
    output = next((raw[k] for k in OUTPUT_KEYS if k in raw), None)
    if output is not None and not isinstance(output, str):
        raise DataError(f"{where}: 'output' must be a string")
    record = make_seed(text, output.strip() if output and output.strip() else None, source)
    if isinstance(raw.get("lang"), str) and raw["lang"].strip():
        record["lang"] = raw["lang"].strip().lower()  # the seed's language: a hint for verification
    return record


def _require_column(where: str | Path, columns: list[str]) -> None:
    """A table without an instruction column fails once, naming the column, not at its first row."""
    if not any(k in columns for k in INSTRUCTION_KEYS):
        shown = ", ".join(columns[:20]) or "none"
        raise DataError(f"{where}: no 'instruction' column (columns: {shown})")


def _jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            obj = parse_json(line, path, first_line=lineno)
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object")
            yield f"{path}:{lineno}", obj


def _json(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    data = parse_json(path.read_text(encoding="utf-8"), path)
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of objects")
    for i, obj in enumerate(data):
        if not isinstance(obj, dict):
            raise DataError(f"{path}: record {i}: expected a JSON object")
        yield f"{path}: record {i}", obj


def _csv(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        _require_column(path, list(reader.fieldnames or []))
        for row in reader:
            yield f"{path}:{reader.line_num}", dict(row)


def _parquet(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(f"{path}: cannot read Parquet ({exc})") from None
    _require_column(path, table.column_names)
    for i, row in enumerate(table.to_pylist()):
        yield f"{path}: row {i}", row


def _hf(spec: str) -> Iterator[tuple[str, dict[str, Any]]]:
    import datasets

    name, _, split = spec.removeprefix("hf:").partition(":")
    try:
        ds = datasets.load_dataset(name, split=split or "train")
    except Exception as exc:  # network, missing dataset, bad split
        raise DataError(f"{spec}: cannot load dataset ({exc})") from None
    _require_column(spec, list(ds.column_names))
    for i, row in enumerate(ds):
        yield f"{spec}: row {i}", dict(row)


READERS = {".jsonl": _jsonl, ".json": _json, ".csv": _csv, ".parquet": _parquet}


def read_raw(spec: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, raw record) pairs from a file path or an `hf:owner/name[:split]` spec."""
    if spec.startswith("hf:"):
        yield from _hf(spec)
        return
    path = Path(spec)
    if not path.is_file():
        raise DataError(f"{path}: seed file not found")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unknown seed format (use .json, .jsonl, .csv, .parquet or hf:NAME)")
    yield from reader(path)


def load_seeds(specs: list[str], limit: int | None = None) -> tuple[list[Record], int]:
    """Every seed from every source, validated in full before anything is used; exact duplicates dropped.

    Returns (seeds, number of duplicates dropped). `limit` keeps the first N unique seeds.
    """
    seeds: list[Record] = []
    seen: set[str] = set()
    duplicates = 0
    for spec in specs:
        for where, raw in read_raw(spec):
            record = normalize(raw, where, source=spec)
            if record["id"] in seen:
                duplicates += 1
                continue
            seen.add(record["id"])
            seeds.append(record)
    if not seeds:
        raise DataError(f"no seed instructions found in {', '.join(specs)}")
    return (seeds[:limit] if limit else seeds), duplicates
