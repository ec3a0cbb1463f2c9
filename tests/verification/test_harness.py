"""Running an answer against its tests in the real sandbox: one case for every verdict."""

from __future__ import annotations

import pytest

from evol.sandbox import Limits, default_sandbox
from evol.verification import build_program, judge

CODE = "def add(a, b):\n    return a + b\n"
INSTRUCTION = "Write add(a, b) that returns the sum."


def verdict(code: str, tests: str, timeout_s: float = 5.0):
    program = build_program(code, tests, "python", "n0nce")
    result = default_sandbox().run(program, limits=Limits(timeout_s=timeout_s))
    return judge(result, "n0nce", "python", INSTRUCTION, tests)


def test_verified_counts_every_test() -> None:
    v = verdict(CODE, "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n")
    assert (v.status, v.passed, v.total) == ("verified", 2, 2)


def test_failed_tests_names_the_first_failing_test() -> None:
    v = verdict(CODE, "assert add(1, 2) == 3\nassert add(2, 2) == 5, 'two and two'\nassert add(0, 0) == 0\n")
    assert (v.status, v.passed, v.total) == ("failed_tests", 2, 3)
    assert "add(2, 2) == 5" in v.detail and "two and two" in v.detail


def test_a_name_the_instruction_never_gave_means_the_tests_are_broken() -> None:
    v = verdict(CODE, "assert plus(1, 2) == 3\n")
    assert v.status == "tests_broken" and "plus" in v.detail


def test_a_missing_name_the_instruction_asked_for_is_the_answers_fault() -> None:
    v = verdict("def plus(a, b):\n    return a + b\n", "assert add(1, 2) == 3\n")
    assert v.status == "failed_tests"


def test_failing_setup_means_the_tests_are_broken() -> None:
    v = verdict(CODE, "data = load_fixture()\nassert add(*data) == 3\n")
    assert v.status == "tests_broken"


def test_timeout() -> None:
    v = verdict("def add(a, b):\n    while True:\n        pass\n", "assert add(1, 2) == 3\n", timeout_s=1.0)
    assert v.status == "timeout"


@pytest.mark.parametrize("code", ["x = input()\n" + CODE, "import numpy_not_installed_here\n" + CODE])
def test_code_needing_stdin_or_a_missing_package_is_unverifiable(code: str) -> None:
    assert verdict(code, "assert add(1, 2) == 3\n").status == "unverifiable"


def test_code_that_crashes_fails() -> None:
    v = verdict(CODE + "print(add(None, 1))\n", "assert add(1, 2) == 3\n")
    assert v.status == "failed_tests" and "crashed" in v.detail


def test_an_early_exit_is_not_verified() -> None:
    v = verdict(CODE + "import os\nos._exit(0)\n", "assert add(1, 2) == 4\n")
    assert v.status == "failed_tests" and "exited before the tests ran" in v.detail


def test_the_stored_form_runs_as_a_plain_script(tmp_path) -> None:
    """What the harness calls verified, `code + "\\n\\n" + tests` run as a script agrees with."""
    import subprocess
    import sys

    tests = "def test_sum():\n    assert add(2, 3) == 5\n\ntest_sum()\n"
    assert verdict(CODE, tests).ok
    script = tmp_path / "check.py"
    script.write_text(CODE + "\n\n" + tests)
    assert subprocess.run([sys.executable, str(script)], cwd=tmp_path, timeout=60).returncode == 0
