"""More cases for weak tests: new calls read from the reply, expected values only where every agreeing answer
returned the same literal value."""

from __future__ import annotations

from evol.verification import Case
from evol.verification.judge import Output
from evol.verification.more_cases import agreed_cases, asked_calls


def test_asked_calls_keep_valid_unseen_calls_up_to_the_limit() -> None:
    reply = ('Here:\n```json\n{"calls": ["f([1])", "f([])", "f(", "import os", 3, "f([2])", "f([1])", "f([3])"]}\n'
             '```')
    assert asked_calls(reply, [Case("f([])", None, "[]")], 2) == ["f([1])", "f([2])"]
    assert asked_calls("no json here", [], 5) == []


def test_a_case_needs_every_agreeing_answer_to_return_the_same_literal() -> None:
    calls = ["f(1)", "f(2)", "f(3)", "f(4)", "f(5)"]
    same, differs, crash, odd = Output(True, [1, 2]), Output(True, [1, 3]), Output(False, error="ValueError"), \
        Output(True, object())
    outputs = [[same, same, same, None, odd], [same, differs, crash, same, odd]]
    assert agreed_cases(calls, outputs) == [Case("f(1)", None, "[1, 2]")]
    assert agreed_cases(calls[:1], [[Output(True, (1, {2: "x"}))]]) == [Case("f(1)", None, "(1, {2: 'x'})")]
