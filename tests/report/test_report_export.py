"""`evol export`: JSON, JSONL, Parquet and a datasets.DatasetDict (with card), all from the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.io import read_jsonl


def _export(run: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["export", str(run), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def train(demo_run: Path) -> list[dict[str, str]]:
    return json.loads((demo_run / "train.json").read_text())


def test_hf_loads_back_with_the_rows_of_train_json(demo_run: Path, train: list[dict], tmp_path: Path) -> None:
    import datasets

    out = tmp_path / "hf"
    assert f"{len(train)} rows" in _export(demo_run, "--format", "hf", "--out", str(out))
    ddict = datasets.load_from_disk(str(out))
    assert list(ddict) == ["train"] and ddict["train"].column_names == ["instruction", "output"]
    assert ddict["train"].to_list() == train
    card = (out / "README.md").read_text()
    for needle in ("license: other", "evol-sim", "gpt-3.5-turbo", "terms of use", "CC0-1.0", "SYNTHETIC",
                   json.loads((demo_run / "manifest.json").read_text())["config_digest"], "### Rows per round",
                   "### Evolution methods", f"**{len(train):,} rows**"):
        assert needle in card, needle


def test_hf_refuses_to_overwrite(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "hf"
    _export(demo_run, "-f", "hf", "--out", str(out))
    again = CliRunner().invoke(app, ["export", str(demo_run), "-f", "hf", "--out", str(out)])
    assert again.exit_code == 3 and "--force" in again.output
    _export(demo_run, "-f", "hf", "--out", str(out), "--force", "--no-include-seeds")
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    refused = CliRunner().invoke(app, ["export", str(demo_run), "-f", "hf", "--out", str(other), "--force"])
    assert refused.exit_code == 3 and (other / "notes.txt").exists()


def test_json_jsonl_parquet_hold_the_same_rows(demo_run: Path, train: list[dict], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    _export(demo_run, "-f", "json", "--out", str(tmp_path / "t.json"))
    _export(demo_run, "-f", "jsonl", "--out", str(tmp_path / "t.jsonl"))
    _export(demo_run, "-f", "parquet", "--out", str(tmp_path / "t.parquet"))
    assert json.loads((tmp_path / "t.json").read_text()) == train
    assert list(read_jsonl(tmp_path / "t.jsonl")) == train
    assert pq.read_table(tmp_path / "t.parquet").to_pylist() == train


def test_without_seeds_and_with_lineage(demo_run: Path, train: list[dict], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    seeds_kept = json.loads((demo_run / "round-00" / "stats.json").read_text())["kept"]
    out = tmp_path / "evolved.parquet"
    _export(demo_run, "-f", "parquet", "--out", str(out), "--no-include-seeds", "--lineage")
    rows = pq.read_table(out).to_pylist()
    assert len(rows) == len(train) - seeds_kept
    assert rows and all(r["round"] >= 1 and r["parent_id"] and r["id"].startswith("r") for r in rows)
    assert [{"instruction": r["instruction"], "output": r["output"]} for r in rows] == train[seeds_kept:]


def test_bad_format_and_push_without_hf(demo_run: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", str(demo_run), "-f", "csv", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--format csv: unknown export format" in result.output
    result = CliRunner().invoke(app, ["export", str(demo_run), "-f", "json", "--push-to-hub", "me/x"])
    assert result.exit_code == 2 and "--format hf" in result.output


def test_default_output_is_inside_the_run(run_copy: Path) -> None:
    _export(run_copy, "-f", "jsonl")
    assert (run_copy / "export" / "train.jsonl").exists()


def test_max_round_exports_the_data_of_the_first_rounds(demo_run: Path, train: list[dict], tmp_path: Path) -> None:
    kept = [json.loads((demo_run / f"round-0{r}" / "stats.json").read_text())["kept"] for r in range(4)]
    out = tmp_path / "r1.jsonl"
    _export(demo_run, "-f", "jsonl", "--out", str(out), "--max-round", "1", "--lineage")
    rows = list(read_jsonl(out))
    assert {r["round"] for r in rows} == {0, 1}
    assert [{"instruction": r["instruction"], "output": r["output"]} for r in rows] == train[: kept[0] + kept[1]]
