"""Parsing the teacher's tests reply: the shapes real teachers write, and replies with no usable tests."""

from __future__ import annotations

import json

from evol.verification.tests_reply import parse_cases, parse_tests, split_joint


def test_fenced_block_with_prose_around() -> None:
    reply = "Here are the tests:\n```python\nassert add(1, 2) == 3\n```\nThey cover the basics."
    assert parse_tests(reply, "python") == "assert add(1, 2) == 3\n"


def test_several_blocks_are_joined_in_order_and_other_languages_left_out() -> None:
    reply = ("```python\nassert f(1) == 1\n```\nand\n```python\nassert f(2) == 4\n```\n"
             "```bash\npython -m pytest\n```\n```text\nok\n```")
    assert parse_tests(reply, "python") == "assert f(1) == 1\n\nassert f(2) == 4\n"


def test_uncalled_test_functions_get_called_and_solution_imports_dropped() -> None:
    reply = "```python\nfrom solution import f\n\ndef test_one():\n    assert f(1) == 1\n\ndef test_two():\n" \
            "    assert f(2) == 4\n\ntest_one()\n```"
    tests = parse_tests(reply, "python")
    assert tests is not None and "from solution" not in tests
    assert tests.rstrip().endswith("test_two()") and tests.count("\ntest_one()") == 1


def test_structured_json_reply() -> None:
    reply = json.dumps({"tests": "```python\nassert g() is None\n```"})
    assert parse_tests(reply, "python", structured=True) == "assert g() is None\n"


def test_bare_code_without_a_fence() -> None:
    assert parse_tests("assert h(0) == 0", "python") == "assert h(0) == 0\n"


def test_unusable_replies() -> None:
    assert parse_tests("Tests should cover edge cases.", "python") is None  # prose only
    assert parse_tests("```python\nprint('hello')\n```", "python") is None  # no assert, no test function
    assert parse_tests("```python\nassert f(1 ==\n```", "python") is None  # not Python
    assert parse_tests("", "python") is None


def test_other_languages_need_an_assertion() -> None:
    js = '```javascript\nconst assert = require("assert");\nassert.strictEqual(f(1), 1);\n```'
    assert parse_tests(js, "javascript").startswith("const assert")
    assert parse_tests("```javascript\nconsole.log(f(1));\n```", "javascript") is None


def test_joint_reply_splits_the_tests_block_off() -> None:
    reply = "Solution:\n```python\ndef f(x):\n    return x\n```\n\n```python\n# Tests\nassert f(1) == 1\n```"
    answer, tests = split_joint(reply)
    assert "def f" in answer and "# Tests" not in answer
    assert tests is not None and parse_tests(tests, "python") == "# Tests\nassert f(1) == 1\n"
    assert split_joint("just prose") == ("just prose", None)


def test_cases_from_a_json_reply_fenced_or_structured() -> None:
    body = {"cases": [{"call": "f(1)", "expected": "[1, 2]"}, {"call": "f(None)", "raises": "ValueError",
                                                                "expected": ""},
                      {"call": "f(2)", "expected": 0.5, "tolerance": 1e-6}, {"stdin": "1 2\n", "expected": "3\n"},
                      {"call": "import os", "expected": "1"}, {"call": "f(x)", "expected": "1"}],
            "checks": "assert f.__doc__"}
    for reply, structured in ((json.dumps(body), True), (f"Cases:\n```json\n{json.dumps(body)}\n```", False)):
        parsed = parse_cases(reply, "python", structured)
        assert parsed is not None
        cases, checks = parsed
        assert [(c.call, c.stdin, c.expected, c.tolerance, c.raises) for c in cases] == [
            ("f(1)", None, "[1, 2]", None, None), ("f(None)", None, "", None, "ValueError"),
            ("f(2)", None, "0.5", 1e-6, None), (None, "1 2\n", "3\n", None, None)]  # the last two: not calls
        assert checks == ["assert f.__doc__"]
    js = parse_cases(json.dumps({"cases": [{"call": "f([1])", "expected": [1, True]}]}), "javascript")
    assert js is not None and js[0][0].expected == "[1, true]"  # JSON for other languages


def test_assert_style_replies_convert_and_keep_their_properties_as_checks() -> None:
    parsed = parse_cases("```python\nassert f(1) == 2\nassert sorted(f([2, 1])) == f([2, 1])\n```", "python")
    assert parsed is not None and [c.call for c in parsed[0]] == ["f(1)"]
    assert parsed[1] == ["assert sorted(f([2, 1])) == f([2, 1])"]
    assert parse_cases("```python\nassert sorted(f([2, 1])) == f([2, 1])\n```", "python") is None  # no case
    assert parse_cases('```javascript\nassert.strictEqual(f(1), 1);\n```', "javascript") is None
