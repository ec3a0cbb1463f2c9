"""Seed loading: every format, Code Alpaca normalization, and errors that name file and line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evol.errors import DataError
from evol.seeds import load_seeds

REPO = Path(__file__).resolve().parent.parent
ROWS = [
    {"instruction": "Write a function that adds two numbers.", "input": "", "output": "def add(a, b): return a + b"},
    {"instruction": "Explain this code.", "input": "print(1)", "output": ""},
]


def test_shipped_seeds_are_plenty_and_unique() -> None:
    seeds, duplicates = load_seeds([str(REPO / "data/seeds/code_seeds.jsonl")])
    assert len(seeds) >= 300 and duplicates == 0
    assert all(s["instruction"].strip() and s["id"].startswith("s-") for s in seeds)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_formats_and_code_alpaca_normalization(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"seeds.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    elif fmt == "json":
        path.write_text(json.dumps(ROWS))
    elif fmt == "csv":
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
            writer.writeheader()
            writer.writerows(ROWS)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(ROWS), path)
    seeds, _ = load_seeds([str(path)])
    assert [s["instruction"] for s in seeds] == [ROWS[0]["instruction"], "Explain this code.\nprint(1)"]
    assert seeds[0]["output"] == ROWS[0]["output"] and seeds[1]["output"] is None
    assert seeds[0]["round"] == 0 and seeds[0]["parent_id"] is None and seeds[0]["root_id"] == seeds[0]["id"]


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text('{"instruction": "ok one"}\n{"instruction": "ok two"}\n{"instruction": broken}\n')
    with pytest.raises(DataError, match=rf"{path}:3: not valid JSON"):
        load_seeds([str(path)])


def test_record_without_instruction_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text('{"instruction": "fine"}\n\n{"prompt": "no instruction key"}\n')
    with pytest.raises(DataError, match=rf"{path}:3: record has no non-empty 'instruction'"):
        load_seeds([str(path)])


def test_duplicates_dropped_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps({"instruction": t}) + "\n" for t in ["a b c", "d e f", "a b c", "g h i"]))
    seeds, duplicates = load_seeds([str(path)], limit=2)
    assert duplicates == 1 and [s["instruction"] for s in seeds] == ["a b c", "d e f"]


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "seeds.txt").write_text("hello")
    with pytest.raises(DataError, match="unknown seed format"):
        load_seeds([str(tmp_path / "seeds.txt")])
    with pytest.raises(DataError, match="not found"):
        load_seeds([str(tmp_path / "missing.jsonl")])


def test_hf_spec_goes_through_datasets_load_dataset(tmp_path: Path) -> None:
    """`hf:NAME[:split]` calls datasets.load_dataset; a local dataset folder stands in for the Hub here."""
    folder = tmp_path / "my_dataset"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    seeds, _ = load_seeds([f"hf:{folder}:train"])
    assert [s["instruction"] for s in seeds] == [ROWS[0]["instruction"], "Explain this code.\nprint(1)"]
    with pytest.raises(DataError, match="cannot load dataset"):
        load_seeds([f"hf:{tmp_path / 'missing'}"])
