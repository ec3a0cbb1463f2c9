"""Problems: HumanEval offline from the package, local HumanEval/EvalPlus and MBPP files, test programs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evol.errors import DataError
from evol.eval.problems import Problem, load_problems
from evol.template import humaneval_prompt


def test_humaneval_has_164_problems(problems: list[Problem]) -> None:
    assert len(problems) == 164 and problems[0].task_id == "HumanEval/0"
    assert all(p.entry_point and p.canonical_solution and "def check(" in p.test for p in problems)
    assert load_problems(limit=3) == problems[:3]


def test_instruction_is_wizardcoders_prompt(problems: list[Problem]) -> None:
    from evol.eval.backends import GenRequest

    p = problems[0]
    req = GenRequest(p.task_id, p.instruction)
    assert req.prompt == humaneval_prompt(p.prompt)
    assert "Create a Python script for this problem:\n" + p.prompt in req.prompt
    assert req.prompt.endswith("### Response:")


def test_program_joins_prompt_completion_test_and_check(problems: list[Problem]) -> None:
    p = problems[0]
    body = p.program("    return False\n")
    assert body.startswith(p.prompt + "    return False") and body.rstrip().endswith(f"check({p.entry_point})")
    full = p.program("def has_close_elements(numbers, threshold):\n    return False\n")
    assert p.prompt + "\ndef has_close_elements" in full


def test_local_evalplus_and_mbpp_files(tmp_path: Path) -> None:
    plus = tmp_path / "plus.jsonl"
    plus.write_text(
        json.dumps(
            {
                "task_id": "HumanEval/0",
                "prompt": 'def f(x):\n    """Twice."""\n',
                "entry_point": "f",
                "canonical_solution": "    return 2 * x\n",
                "test": "def check(candidate):\n    assert candidate(2) == 4\n",
                "base_input": [[2]],
            }
        )
        + "\n"
    )
    (p,) = load_problems(plus)
    assert p.entry_point == "f" and p.program(p.canonical_solution).rstrip().endswith("check(f)")
    mbpp = tmp_path / "mbpp.jsonl"
    mbpp.write_text(
        json.dumps(
            {
                "task_id": 2,
                "text": "Write a function to add two numbers.",
                "code": "def add(a, b):\n    return a + b",
                "test_list": ["assert add(1, 2) == 3"],
                "test_setup_code": "",
            }
        )
        + "\n"
    )
    (m,) = load_problems(mbpp)
    assert m.task_id == "2" and "assert add(1, 2) == 3" in m.prompt
    program = m.program(m.canonical_solution or "")
    assert "Write a function" not in program and program.rstrip().endswith("assert add(1, 2) == 3")


@pytest.mark.parametrize("content", ["not json\n", json.dumps({"task_id": "x"}) + "\n", "[1]\n", ""])
def test_bad_problem_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(DataError):
        load_problems(path)
    with pytest.raises(DataError):
        load_problems(tmp_path / "missing.jsonl")
