"""Bad input named as the user typed it: one line, a documented exit code (docs/cli.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.errors import DataError
from evol.lifetime import die_with_parent
from evol.seeds import load_seeds

REPO = Path(__file__).resolve().parent.parent


def one_line(args: list[str], code: int) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize("flag,value,why", [("--rounds", "-1", "greater than or equal to 0"),
                                            ("--concurrency", "0", "greater than or equal to 1"),
                                            ("--limit", "-3", "greater than or equal to 1")])
def test_a_bad_flag_value_names_the_flag_not_the_toml_file(flag: str, value: str, why: str) -> None:
    line = one_line(["run", "--config", str(REPO / "pipelines/demo.toml"), flag, value], 2)
    assert line.startswith(f"error: {flag} {value}: ") and why in line and "demo.toml" not in line


def test_estimate_names_the_flag_too() -> None:
    assert one_line(["estimate", "--config", str(REPO / "pipelines/demo.toml"), "--rounds", "-2"],
                    2).startswith("error: --rounds -2: ")


@pytest.mark.parametrize("text,line", [('{"instruction": "a"}\n{"instruction": "b"', 2),
                                       ('{"instruction": "a"}\n{"instruction": "b"\n{"instruction": "c"}\n', 2),
                                       ('{"instruction": "a"}\n\n{"instruction": \n', 3)])
def test_a_jsonl_line_cut_off_is_reported_at_its_own_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text(text)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}:{line}: not valid JSON"):
        load_seeds([str(path)])


def test_a_csv_without_the_instruction_column_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "seeds.csv"
    path.write_text("prompt,output\nadd two numbers,def add(a, b): return a + b\n")
    line = one_line(["run", "--config", str(REPO / "pipelines/demo.toml"), "--seeds", str(path)], 3)
    assert line == f"error: {path}: no 'instruction' column (columns: prompt, output)"


def test_a_parquet_without_the_instruction_column_names_the_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "seeds.parquet"
    pq.write_table(pa.table({"question": ["add two numbers"]}), path)
    with pytest.raises(DataError, match=r"no 'instruction' column \(columns: question\)"):
        load_seeds([str(path)])


@pytest.mark.parametrize("command", ["dedup", "decontam"])
def test_dedup_and_decontam_stop_when_the_field_is_absent(tmp_path: Path, command: str) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "write a function that adds two numbers"}\n' * 2)
    line = one_line([command, str(data), str(tmp_path / "out.jsonl")], 3)
    assert line.startswith(f"error: {data}: no record has a text field 'instruction'") and "prompt" in line
    assert not (tmp_path / "out.jsonl").exists()


def test_dedup_on_another_field_when_asked_still_works(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "write a function that adds two numbers"}\n' * 2)
    result = CliRunner().invoke(app, ["dedup", str(data), str(tmp_path / "out.jsonl"), "--fields", "prompt"])
    assert result.exit_code == 0 and "kept 1" in result.output


def test_sim_port_0_prints_the_port_it_bound() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "evol", "sim", "--port", "0"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, cwd=REPO, preexec_fn=die_with_parent())
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/v1", line).group(1))  # type: ignore[union-attr]
        assert port != 0
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_bad_value_in_the_toml_file_still_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text((REPO / "pipelines/demo.toml").read_text() + "\n")
    text = toml.read_text()
    toml.write_text(re.sub(r"(?m)^rounds = \d+", "rounds = -5", text) if "rounds =" in text else "rounds = -5\n" + text)
    line = one_line(["run", "--config", str(toml), "--limit", "3"], 2)
    assert str(toml) in line and "rounds" in line and "--limit" not in line
