"""`evol export`: a run's kept rows as 78k-style JSON, JSONL, Parquet, or a datasets.DatasetDict with a card.

Every format takes its rows from `evol.export.kept_records` (what `training_rows` / train.json use).
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evol.errors import ConfigError, DataError, EvolError
from evol.export import kept_records, write_train_json
from evol.io import atomic_write_bytes, atomic_write_json, atomic_write_jsonl, atomic_write_text
from evol.records import Record
from evol.report.card import build_card
from evol.report.rundata import load_run
from evol.rundir import RunDir

FORMATS = ("json", "jsonl", "parquet", "hf", "rl")
BASE_COLUMNS = ("instruction", "output")
LINEAGE_COLUMNS = ("id", "parent_id", "root_id", "round", "method", "model")
# Added to jsonl / parquet / hf rows when the run verified its items.
VERIFY_COLUMNS = ("code", "tests", "language", "verification_status", "difficulty")


@dataclass
class ExportResult:
    path: Path
    rows: int
    format: str
    warnings: list[str]


def columns_for(records: list[Record], lineage: bool) -> tuple[str, ...]:
    verified = any(r.get("verification") for r in records)
    return BASE_COLUMNS + (LINEAGE_COLUMNS if lineage else ()) + (VERIFY_COLUMNS if verified else ())


def rows_for(records: list[Record], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{c: _column(r, c) for c in columns} for r in records]


def _column(record: Record, column: str) -> Any:
    if column == "verification_status":
        return (record.get("verification") or {}).get("status")
    return record.get(column)


def rl_rows(records: list[Record]) -> list[dict[str, Any]]:
    """RL with verifiable rewards: the prompt, its tests and a reference that passes them (verified items only)."""
    return [{"prompt": r["instruction"], "tests": r["tests"], "cases": r.get("cases"), "reference": r["code"],
             "language": r["language"], "difficulty": r.get("difficulty")}
            for r in records if (r.get("verification") or {}).get("status") == "verified"]


def _arrow_schema(columns: tuple[str, ...]) -> Any:
    """Every column a string but `round` (an integer) and `difficulty` (the pass rate over k answers, a float)."""
    import pyarrow as pa

    typed = {"round": pa.int64(), "difficulty": pa.float64()}
    return pa.schema([pa.field(c, typed.get(c, pa.string())) for c in columns])


def write_parquet(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=_arrow_schema(columns)), buf)
    atomic_write_bytes(path, buf.getvalue())


def _check_hf_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder (--format hf writes a folder)")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "dataset_dict.json").exists():
            raise DataError(f"{out}: folder is not empty and is not an exported dataset; refusing to overwrite it")
        if not force:
            raise DataError(f"{out}: an exported dataset is already there; pass --force to replace it")


def write_hf(out: Path, rows: list[dict[str, Any]], columns: tuple[str, ...], card: str, force: bool) -> Any:
    """Save a DatasetDict({'train'}) plus README.md to `out` (built aside, then moved into place)."""
    import datasets

    _check_hf_target(out, force)
    features = datasets.Features.from_arrow_schema(_arrow_schema(columns))
    ddict = datasets.DatasetDict({"train": datasets.Dataset.from_list(rows, features=features)})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()  # (not mkdtemp: the folder keeps the usual permissions)
    quiet = not datasets.is_progress_bar_enabled()
    try:
        datasets.disable_progress_bars()
        ddict.save_to_disk(str(tmp))
        atomic_write_text(tmp / "README.md", card)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    return ddict


def push_to_hub(ddict: Any, card: str, repo: str, private: bool) -> None:
    """Upload the dataset and its card (needs network and a Hugging Face token)."""
    from huggingface_hub import DatasetCard

    try:
        ddict.push_to_hub(repo, private=private)
        DatasetCard(card).push_to_hub(repo, repo_type="dataset")
    except Exception as exc:  # network, auth, naming: all end the command with one line
        raise EvolError(f"push to the Hub ({repo}) failed: {exc}") from None


def export_run(run_dir: str | Path, fmt: str, out: str | Path | None = None, *, include_seeds: bool = True,
               max_round: int | None = None, lineage: bool = False, license_id: str = "other", force: bool = False,
               hub_repo: str | None = None, private: bool = False) -> ExportResult:
    """Write the run's kept rows in `fmt`; returns where, how many, and any warnings."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: unknown export format; use one of {', '.join(FORMATS)}")
    if hub_repo and fmt != "hf":
        raise ConfigError("--push-to-hub needs --format hf")
    run = load_run(run_dir)
    path = Path(out) if out else RunDir(run.path).export(fmt)
    records = list(kept_records(run.path, include_seeds=include_seeds, max_round=max_round))
    columns = columns_for(records, lineage)
    rows = rows_for(records, columns)
    if fmt == "json" and not lineage:
        write_train_json(run.path, path, include_seeds=include_seeds, max_round=max_round)
    elif fmt == "json":
        atomic_write_json(path, rows_for(records, BASE_COLUMNS + LINEAGE_COLUMNS))
    elif fmt == "rl":
        rows = rl_rows(records)
        if not rows:
            raise DataError(f"{run.path}: no verified items to export for RL (run with [verify] enabled = true)")
        atomic_write_jsonl(path, rows)
    elif fmt == "jsonl":
        atomic_write_jsonl(path, rows)
    elif fmt == "parquet":
        write_parquet(path, rows, columns)
    else:
        card = build_card(run, records, include_seeds=include_seeds, license_id=license_id, columns=columns)
        ddict = write_hf(path, rows, columns, card, force)
        if hub_repo:
            hub_card = build_card(run, records, include_seeds=include_seeds, license_id=license_id,
                                  columns=columns, hub=True)
            push_to_hub(ddict, hub_card, hub_repo, private)
    warnings = list(run.warnings)
    if run.simulated:
        warnings.append("the run used the offline simulator: this data is SYNTHETIC, not for training")
    return ExportResult(path, len(rows), fmt, warnings)
