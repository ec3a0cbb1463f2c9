"""The pipeline's execution filter: answers whose Python crashes are dropped with code_error:<kind>."""

from __future__ import annotations

import pytest

from evol.sandbox import Limits, Sandbox
from evol.stages.exec_filter import ExecutionFilter
from evol.stages.rules import RULES

F = "`" * 3


def answer(*blocks: str, lang: str = "python") -> dict:
    body = "".join(f"Step:\n{F}{lang}\n{b}\n{F}\n" for b in blocks)
    return {"output": f"Here is the answer.\n{body}That's it."}


@pytest.fixture(scope="module")
def rule() -> ExecutionFilter:
    return ExecutionFilter(timeout_s=1.0, sandbox=Sandbox(Limits(timeout_s=1.0), workers=2))


CASES = [
    (answer("def f(x):\n    return x * 2\n\nprint(f(21))"), None),
    (answer("def f(x):\n    return x * 2", "print(f(2))"), None),  # blocks run together, in order
    (answer("print(1 / 0)"), "code_error:ZeroDivisionError"),
    (answer("def f(:\n    pass"), "code_error:SyntaxError"),
    (answer("def f():\n  return 1\n   x = 2"), "code_error:IndentationError"),
    (answer("print(undefined)"), "code_error:NameError"),
    (answer("while True:\n    pass"), "code_error:Timeout"),
    (answer("import sys\nsys.exit(0)"), None),
    (answer("import sys\nsys.exit(2)"), "code_error:SystemExit"),
    ({"output": "No code here, just words."}, None),
    (answer("echo hi && exit 1", lang="bash"), None),
    (answer("import numpy_that_is_missing"), None),  # cannot judge: kept
    (answer("name = input()"), None),
    (answer("import urllib.request\nurllib.request.urlopen('http://example.com')"), None),
    (answer("import os\nos.system('rm -rf /')"), None),
]


@pytest.mark.parametrize(("record", "reason"), CASES)
def test_check(rule: ExecutionFilter, record: dict, reason: str | None) -> None:
    assert rule.check(record) == reason


def test_check_many_matches_check(rule: ExecutionFilter) -> None:
    records = [c[0] for c in CASES]
    assert rule.check_many(records) == [c[1] for c in CASES]


def test_registered_and_default_constructible() -> None:
    assert RULES["code_error"] is ExecutionFilter
    assert ExecutionFilter().limits.timeout_s == 2.0
