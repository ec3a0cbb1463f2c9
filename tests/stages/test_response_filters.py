"""Each response filter rejects the bad answer it targets and keeps a good one."""

from __future__ import annotations

import pytest

from evol.config import FilterSettings
from evol.stages.response_filters import response_rules
from evol.stages.rules import first_failure

GOOD = "Use a dictionary to count.\n\n```python\ndef count(xs):\n    return {x: xs.count(x) for x in set(xs)}\n```"


def verdict(output: str | None, finish_reason: str = "stop", **settings: object) -> str | None:
    rules = response_rules(FilterSettings(**settings))
    return first_failure(rules, {"instruction": "Count items.", "output": output, "finish_reason": finish_reason})


def test_good_answer_is_kept() -> None:
    assert verdict(GOOD) is None


@pytest.mark.parametrize(
    ("output", "finish", "reason"),
    [
        ("", "stop", "empty_answer"),
        (None, "stop", "empty_answer"),
        (GOOD, "length", "truncated"),
        ("I'm sorry, but I cannot help with that.", "stop", "refusal"),
        ("As an AI language model, I do not write code.", "stop", "refusal"),
        ("I\u2019m unable to do that.", "stop", "refusal"),
        ("... , it is what it is !", "stop", "stopwords_only"),
        ("Here:\n```python\ndef f(:\n    pass\n```", "stop", "broken_code"),
        ("Here:\n```python\ndef f():\n    return 1\n", "stop", None),  # an unclosed fence that parses
        ("Here:\n```python\nif x\n", "stop", "broken_code"),  # an unclosed fence that does not
    ],
)
def test_bad_answers_are_rejected(output: str | None, finish: str, reason: str | None) -> None:
    assert verdict(output, finish) == reason


def test_long_answer_mentioning_sorry_is_kept() -> None:
    long = "Sorry for the wait. " + "This explains the algorithm step by step in detail. " * 12 + GOOD
    assert verdict(long) is None


def test_non_python_blocks_are_not_parsed() -> None:
    assert verdict("```js\nfunction f( {\n```") is None


def test_syntax_check_can_be_switched_off() -> None:
    assert verdict("```python\ndef f(:\n```", check_python_syntax=False) is None


def test_rules_can_be_switched_off_by_name() -> None:
    assert verdict("... , it is what it is !", skip=["stopwords_only"]) is None
    assert verdict(GOOD, "length", skip=["truncated"]) is None
