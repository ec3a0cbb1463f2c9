"""The trusted judge through the real sandbox (warm fork server and spawned interpreter): verdicts, blame, and
the channel's fail-closed decoding."""

from __future__ import annotations

import json

import pytest

from evol.sandbox import Limits, Sandbox
from evol.verification.cases import Case, from_asserts
from evol.verification.judge import CaseRun, Output, decode_records, judge, run_cases
from tests.sandbox.conftest import require_bwrap

CODE = "def add(a, b):\n    return a + b\n"
INSTRUCTION = "Write add(a, b) that returns the sum."
CASES, _ = from_asserts("assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add('a', 'b') == 'ab'\n")


@pytest.fixture(scope="module", params=["warm", "spawn"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    require_bwrap()
    return Sandbox(Limits(timeout_s=5.0), workers=1, warm=request.param == "warm")


def verdict(sandbox: Sandbox, code: str, cases: list[Case] = CASES, timeout_s: float = 5.0):
    run = run_cases(sandbox, code, "python", cases, Limits(timeout_s=timeout_s))
    return judge(cases, run, "python", INSTRUCTION)


def test_a_correct_answer_is_verified_and_a_wrong_one_is_not(sandbox: Sandbox) -> None:
    v = verdict(sandbox, CODE)
    assert (v.status, v.passed, v.total, v.cases) == ("verified", 3, 3, [True, True, True])
    v = verdict(sandbox, "def add(a, b):\n    return a + b if a != -1 else 1\n")
    assert (v.status, v.passed, v.cases) == ("failed_tests", 2, [True, False, True])
    assert sandbox.describe()["python_executor"].startswith("warm" if sandbox.warm else "spawn")


def test_every_plain_type_crosses_the_channel(sandbox: Sandbox) -> None:
    code = ("def f(k):\n    return {'t': (1, 2.5), 's': {1, 2}, 'fs': frozenset({3}), 'b': b'\\x00x', 'n': None,\n"
            "            'l': [True, 'x'], 'big': 10**40, 'nan': float('inf'), (1, 2): {'nested': [1]}}[k]\n")
    keys = ["'t'", "'s'", "'fs'", "'b'", "'n'", "'l'", "'big'", "'nan'", "(1, 2)"]
    expected = ["(1, 2.5)", "{1, 2}", "frozenset({3})", "b'\\x00x'", "None", "[True, 'x']", str(10**40),
                "float('inf')", "{'nested': [1]}"]
    cases = [Case(f"f({k})", None, e) for k, e in zip(keys, expected, strict=True)]
    v = verdict(sandbox, code, cases)
    assert v.status == "verified", v.detail
    v = verdict(sandbox, code, [Case("f('t')", None, "[1, 2.5]")])  # a tuple is not a list
    assert v.status == "failed_tests"


def test_a_crash_inside_the_answer_is_the_answers_fault(sandbox: Sandbox) -> None:
    """Blame (#20): the answer raising is failed_tests (resample), wherever the call stood."""
    v = verdict(sandbox, "def add(a, b):\n    return helper(a) + b\n")
    assert v.status == "failed_tests" and "NameError" in v.detail


def test_a_name_the_task_never_gave_breaks_the_tests(sandbox: Sandbox) -> None:
    cases, _ = from_asserts("assert plus(1, 2) == 3\n")
    assert verdict(sandbox, CODE, cases).status == "tests_broken"
    assert verdict(sandbox, "def plus(a, b):\n    return a + b\n").status == "failed_tests"  # add was asked for
    solver = "class Solver:\n    def add(self, a, b):\n        return a + b\n"
    invented = [Case("Solver().plus(1, 2)", None, "3")]
    assert verdict(sandbox, solver, invented).status == "tests_broken"
    assert verdict(sandbox, "class Solver:\n    pass\n", [Case("Solver().add(1, 2)", None, "3")]).status \
        == "failed_tests"  # the answer lacks the add the task named


def test_timeout_and_unverifiable(sandbox: Sandbox) -> None:
    assert verdict(sandbox, "def add(a, b):\n    while True:\n        pass\n", timeout_s=1.0).status == "timeout"
    assert verdict(sandbox, "import numpy_not_installed_here\n" + CODE).status == "unverifiable"
    assert verdict(sandbox, "x = input()\n" + CODE).status == "unverifiable"


def test_stdin_cases(sandbox: Sandbox) -> None:
    code = "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n"
    assert verdict(sandbox, code, [Case(None, "1 2 3\n", "6\n"), Case(None, "", "0")]).status == "verified"
    assert verdict(sandbox, code, [Case(None, "1 2\n", "4")]).status == "failed_tests"
    binary = "import sys\nn = int(sys.stdin.buffer.readline())\nsys.stdout.buffer.write(b'%d\\n' % (n * 2))\n"
    assert verdict(sandbox, binary, [Case(None, "21\n", "42")]).status == "verified"
    prompt = "def main():\n    a = input()\n    print(a.upper())\n\nif __name__ == '__main__':\n    main()\n"
    assert verdict(sandbox, prompt, [Case(None, "abc\n", "ABC")]).status == "verified"


def _line(rec: dict) -> bytes:
    return (json.dumps(rec) + "\n").encode()


def test_the_channel_fails_closed() -> None:
    ok0, ok1 = _line({"i": 0, "ok": True, "v": 3}), _line({"i": 1, "ok": True, "v": 0})
    assert decode_records(ok0 + ok1, 2) == ([Output(True, 3), Output(True, 0)], "")
    for bad in (ok0, ok1 + ok0, ok0 + ok0, ok0 + ok1 + ok1, ok0 + ok1[:-1], ok0 + b"NaN\n",
                ok0 + _line({"i": 1, "ok": True, "v": {"$t": "float", "v": "1"}}),
                ok0 + _line({"i": 1, "ok": True, "v": 1, "x": 2}), ok0 + _line({"i": True, "ok": True, "v": 1})):
        assert decode_records(bad, 2)[1], bad
    assert decode_records(ok0 + ok1, 2, cap=len(ok0))[1]
    cases = [Case("add(1, 2)", None, "3"), Case("add(-1, 1)", None, "0")]
    outputs, _ = decode_records(ok0 + ok1, 2)
    assert judge(cases, CaseRun(outputs, "completed")).ok
    assert not judge(cases, CaseRun(outputs, "crashed")).ok  # a non-zero exit after correct records
    assert not judge(cases, CaseRun([Output(True, 3), None], "completed")).ok
