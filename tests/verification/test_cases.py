"""Cases: AST conversion of assert-style tests, the plain script made from them, and trusted-side comparison."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from evol.verification.cases import Case, expected_value, from_asserts, script, tolerant_equal, valid_call

HUMANEVAL_CHECK = '''
METADATA = {}


def check(candidate):
    assert candidate([1.0, 2.0, 3.0], 0.5) == False
    assert candidate([1.0, 2.8, 3.0], 0.3)
    assert abs(candidate(3.5) - 0.5) < 1e-6
    assert math.fabs(candidate(2) - 1) < 1e-6
    assert candidate("abc") is None
'''


def test_convertible_forms_become_cases() -> None:
    cases, extra = from_asserts(HUMANEVAL_CHECK, rename={"candidate": "f"})
    assert [c.call for c in cases] == ["f([1.0, 2.0, 3.0], 0.5)", "bool(f([1.0, 2.8, 3.0], 0.3))", "f(3.5)",
                                       "f(2)", "f('abc')"]
    assert [c.expected for c in cases] == ["False", "True", "0.5", "1", "None"]
    assert cases[2].tolerance == cases[3].tolerance == 1e-6
    assert extra == []  # METADATA = {} binds a name nothing uses


def test_setup_lines_are_inlined_into_the_asserts_that_use_them() -> None:
    """`r = f(x); assert r == y` (the shape #20 saw blamed on the tests) is the case f(x) == y."""
    tests = "xs = [3, 1, 2]\nr = f(xs)\nassert r == [1, 2, 3]\nassert r[0] == 1\nassert len(r) > 0\n"
    cases, extra = from_asserts(tests)
    assert [(c.call, c.expected) for c in cases] == [("f([3, 1, 2])", "[1, 2, 3]"), ("f([3, 1, 2])[0]", "1")]
    assert extra == ["xs = [3, 1, 2]", "r = f(xs)", "assert len(r) > 0"]  # the check keeps what it needs
    cases, extra = from_asserts("r = f(2)\nassert r == 4\nr = r + 1\nassert r == 5\n")
    assert [c.call for c in cases] == ["f(2)"] and extra[-1] == "assert r == 5"


def test_constant_arithmetic_wrappers_and_noise() -> None:
    tests = ("def check(candidate):\n    print\n    assert candidate(3 * 19) == [3, 19]\n"
             "    assert tuple(candidate([1])) == tuple([1])\n    assert abs(candidate(1) - 2.0 / 3.0) < 1e-6\n"
             "    assert True, 'debugging'\n")
    cases, extra = from_asserts(tests, rename={"candidate": "g"})
    assert [c.call for c in cases] == ["g(3 * 19)", "tuple(g([1]))", "g(1)"] and extra == []
    assert expected_value(cases[2]) == 2.0 / 3.0
    for huge in ("'a' * 10 ** 9", "[0] * 100000000", "2 ** 100000000", "(9 ** 999) ** 999", "('a' * 999) * 9999"):
        with pytest.raises(ValueError):
            expected_value(Case("g()", None, huge))


def test_expected_exceptions_become_raises_cases() -> None:
    tests = ("import pytest\nwith pytest.raises(ValueError):\n    f(None)\n"
             "try:\n    f('x')\nexcept TypeError:\n    pass\nelse:\n    assert False, 'no error'\n"
             "try:\n    f(1)\n    raise AssertionError('no error')\nexcept KeyError:\n    pass\n")
    cases, extra = from_asserts(tests)
    assert [(c.call, c.raises) for c in cases] == [("f(None)", "ValueError"), ("f('x')", "TypeError"),
                                                   ("f(1)", "KeyError")]
    assert extra == ["import pytest"]


def test_isclose_subscripts_methods_and_input_builders() -> None:
    tests = ("import math\nassert math.isclose(area(2), 12.56, rel_tol=0.01)\nassert f([3, 1])[0] == 1\n"
             "assert Solution().run('a', k=2) == ['a']\nassert g(list(range(5))).get(4) == 1\n"
             "assert {1: 'a'} == h(frozenset({1}))\nassert s() == set()\nassert z() == float('inf')\n")
    cases, extra = from_asserts(tests)
    assert [c.call for c in cases] == ["area(2)", "f([3, 1])[0]", "Solution().run('a', k=2)",
                                       "g(list(range(5))).get(4)", "h(frozenset({1}))", "s()", "z()"]
    assert cases[0].tolerance == 0.01 and extra == ["import math"]
    assert expected_value(cases[5]) == set() and math.isinf(expected_value(cases[6]))


@pytest.mark.parametrize("test", ["assert f(x) == 1", "assert f(1) == y", "assert f(1) > 2", "assert max(f(1)) == 2",
                                  "assert f(1) == g(2)", "assert isinstance(f(1), int)", "assert (lambda: 1)() == 1"])
def test_non_convertible_asserts_stay_as_checks(test: str) -> None:
    cases, extra = from_asserts(test)
    assert cases == [] and extra == [test]


def test_valid_call_rejects_non_calls() -> None:
    assert valid_call("f(1, [2], k='x')") and valid_call("bool(f(1))")
    assert not valid_call("1 + 1") and not valid_call("f(x)") and not valid_call("import os") \
        and not valid_call("f(1); g(2)")


def test_tolerance_compares_floats_inside_containers() -> None:
    assert tolerant_equal([0.1 + 0.2, (1.0,)], [0.3, (1.0,)], 1e-6)
    assert not tolerant_equal([0.1 + 0.2], [0.3], None)
    assert not tolerant_equal(0.31, 0.3, 1e-6)
    assert tolerant_equal({"a": 1.0000001}, {"a": 1.0}, 1e-6)


def test_the_script_of_the_cases_runs_plain(tmp_path: Path) -> None:
    cases = [Case("add(1, 2)", None, "3"), Case("add(0.1, 0.2)", None, "0.3", 1e-6)]
    tests = script(cases, ["assert add.__name__ == 'add'"])
    good = tmp_path / "good.py"
    good.write_text("def add(a, b):\n    return a + b\n\n\n" + tests)
    bad = tmp_path / "bad.py"
    bad.write_text("def add(a, b):\n    return a - b\n\n\n" + tests)
    assert subprocess.run([sys.executable, str(good)], timeout=60).returncode == 0
    assert subprocess.run([sys.executable, str(bad)], capture_output=True, timeout=60).returncode != 0
