"""Templates: every shipped method renders; a missing or unknown placeholder fails at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evol.errors import ConfigError
from evol.prompts import DEFAULT_PROMPTS_DIR, PromptSet, discover_methods, load_template


def test_every_shipped_method_renders() -> None:
    methods = discover_methods()
    assert {"add_constraints", "replace_requirement", "more_reasoning", "erroneous_code", "complexity",
            "breadth", "depth_constraints", "depth_deepen", "depth_concretize", "depth_reasoning"} <= set(methods)
    prompts = PromptSet(list(methods))
    for name in methods:
        text, sha = prompts.evolve_prompt(name, "Reverse a string.")
        assert "Reverse a string." in text and "{" not in text.replace("{}", "") and len(sha) == 12
    assert "erroneous code" in prompts.evolve_prompt("erroneous_code", "x")[0]


def copy_prompts(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, target)
    return target


@pytest.mark.parametrize(
    ("replacement", "message"),
    [("{instruction}\n{extra}", "unknown placeholder"), ("no placeholder here", "missing placeholder"),
     ("{instruction", "bad placeholder syntax")],
)
def test_bad_answer_template_fails_at_start_up(tmp_path: Path, replacement: str, message: str) -> None:
    prompts = copy_prompts(tmp_path)
    (prompts / "answer.txt").write_text(replacement)
    with pytest.raises(ConfigError, match=message) as err:
        PromptSet(["add_constraints"], prompts)
    assert "answer.txt" in str(err.value)


def test_template_sha_changes_with_text(tmp_path: Path) -> None:
    prompts = copy_prompts(tmp_path)
    before = load_template("answer", prompts).sha
    (prompts / "answer.txt").write_text("Answer carefully:\n{instruction}\n")
    assert load_template("answer", prompts).sha != before
