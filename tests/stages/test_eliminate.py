"""Each elimination rule rejects the failed evolution it targets and keeps a good one."""

from __future__ import annotations

import pytest

from evol.config import EliminateSettings
from evol.stages.eliminate import elimination_rules
from evol.stages.rules import first_failure

PARENT = "Write a Python function that returns the second largest number in a list."
GOOD = PARENT + " The function must run in linear time and raise ValueError when the list has fewer than two items."


def verdict(child: str, parent: str = PARENT) -> str | None:
    return first_failure(elimination_rules(EliminateSettings()), {"instruction": child, "parent_instruction": parent})


def test_good_evolution_is_kept() -> None:
    assert verdict(GOOD) is None


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        ("", "empty_evolution"),
        ("   \n", "empty_evolution"),
        ("#Rewritten Prompt#: " + GOOD, "copied_prompt_words"),
        (GOOD + " (rewritten prompt above)", "copied_prompt_words"),
        ("#Given Test#\n" + GOOD, "copied_prompt_words"),
        ("Sort it.", "too_short"),
        ("word " * 1300, "too_long"),
        (PARENT, "no_information_gain"),
        (PARENT.upper() + "  ", "no_information_gain"),
        ("Write a function in Python that returns the second largest number in a list.", "no_information_gain"),
    ],
)
def test_failed_evolutions_are_rejected(child: str, reason: str) -> None:
    assert verdict(child) == reason


def test_lost_code_block() -> None:
    parent = "Fix the bug in this function:\n```python\ndef f(x):\n    return x +\n```"
    assert verdict("Fix the bug in the function and also add type hints and a docstring to it.", parent) == (
        "lost_code_block")
    kept = parent + "\nAlso add type hints and a docstring, and explain the fix."
    assert verdict(kept, parent) is None


def test_thresholds_come_from_config() -> None:
    rules = elimination_rules(EliminateSettings(min_words=1, max_words=5))
    assert first_failure(rules, {"instruction": "Sort these integers fast", "parent_instruction": "x"}) is None
    assert first_failure(rules, {"instruction": "Sort a list of integers very fast", "parent_instruction": "x"}) == (
        "too_long")


def test_rules_can_be_switched_off_by_name() -> None:
    from evol.errors import ConfigError

    parent = "Fix the bug in this function:\n```python\ndef f(x):\n    return x +\n```"
    child = "Fix the bug in the function and also add type hints and a docstring to it."
    rules = elimination_rules(EliminateSettings(skip=["lost_code_block"]))
    assert first_failure(rules, {"instruction": child, "parent_instruction": parent}) is None
    with pytest.raises(ConfigError, match=r"eliminate.skip: unknown rule\(s\) \['no_such_rule'\]"):
        elimination_rules(EliminateSettings(skip=["no_such_rule"]))
