"""Loading benchmark files: HumanEval offline, MBPP/EvalPlus/plain shapes, clear errors naming the file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from evol.decontam.benchmarks import BenchmarkItem, load_benchmarks, load_file
from evol.errors import ConfigError, DataError


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_humaneval_loads_offline() -> None:
    items = load_benchmarks(["humaneval"])
    assert len(items) == 164 and items[0].item_id == "HumanEval/0" and items[0].benchmark == "humaneval"
    assert "def has_close_elements" in items[0].prompt and items[0].solution


def test_shapes_of_mbpp_evalplus_and_plain_files(tmp_path: Path) -> None:
    mbpp = write_jsonl(tmp_path / "mbpp.jsonl", [{"task_id": 2, "text": "Write a function.", "code": "def f(): pass"}])
    plus = tmp_path / "plus.jsonl.gz"
    plus.write_bytes(gzip.compress(b'{"task_id": "HumanEval/0", "prompt": "p", "canonical_solution": "s"}\n'))
    plain = tmp_path / "mine.json"
    plain.write_text(json.dumps([{"prompt": "Do it.", "solution": "x"}]))
    items = load_benchmarks([str(mbpp), str(plus), f"custom={plain}"])
    assert [(i.benchmark, i.item_id, i.prompt, i.solution) for i in items] == [
        ("mbpp", "2", "Write a function.", "def f(): pass"),
        ("plus", "HumanEval/0", "p", "s"),
        ("custom", "custom/0", "Do it.", "x"),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "not found"),
        ('{"prompt": "ok"}\n{broken\n', r":2: not valid JSON"),
        ('{"question_text": "x"}\n', r":1: no prompt or solution"),
        ("[1, 2]", r":1: expected a JSON object"),
        ("", "holds no problems"),
    ],
)
def test_unreadable_benchmark_file_is_a_data_error_naming_it(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bench.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message) as err:
        load_file(path, "bench")
    assert str(path) in str(err.value)


def test_directory_and_bad_gzip_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load_file(tmp_path, "dir")
    bad = tmp_path / "x.jsonl.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(DataError, match="x.jsonl.gz"):
        load_file(bad, "x")


def test_unknown_benchmark_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown benchmark 'mbpp'"):
        load_benchmarks(["mbpp"])


def test_docstring_descriptions_drop_examples() -> None:
    item = BenchmarkItem("b", "1", 'def f(x):\n    """ Return x doubled.\n    >>> f(2)\n    4\n    """\n', "")
    assert item.docstrings() == ["Return x doubled."]
    assert BenchmarkItem("b", "2", "Write a function to add two numbers.", "").docstrings() == [
        "Write a function to add two numbers."
    ]
