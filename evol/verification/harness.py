"""Run an answer's code against its tests and judge the outcome.

For Python the program is the answer's code, then a small harness that runs each top-level test statement in
turn (sharing the script's globals, exactly as the plain `code + "\\n\\n" + tests` script would) and prints a
verdict line stamped with a per-run nonce, so passed/total and the first failing test are known. A program that
exits before the harness (an early `sys.exit(0)` in the code) prints no stamped line and is not verified.
Other languages run `code + "\\n\\n" + tests` and are judged by the exit status alone.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import evol.pyparse as pyparse

MARK = "EVOL-VERDICT"
# Failures that say the program needs what the sandbox does not give (stdin, network, a package): not the
# answer's fault nor the tests', so the item cannot be verified here.
UNVERIFIABLE = frozenset({"EOFError", "SandboxViolation", "ModuleNotFoundError", "ImportError"})
# A test failing this way before reaching the answer points at the tests (a name the instruction never gave).
INTERFACE = frozenset({"NameError"})

HARNESS = '''

def __evol_run_tests(__evol_tests, __evol_nonce):
    import json as __json, sys as __sys, traceback as __tb
    __passed, __failed = 0, []
    for __i, (__src, __is_test) in enumerate(__evol_tests):
        try:
            exec(compile(__src, "<test %d>" % __i, "exec"), globals())
        except BaseException as __exc:  # noqa: BLE001 - a test may raise anything, SystemExit included
            if not __is_test or not __failed:
                __failed.append({"index": __i, "test": __src[:300], "setup": not __is_test,
                                 "kind": type(__exc).__name__, "error": str(__exc)[:300],
                                 "name": getattr(__exc, "name", None)})
            if not __is_test:
                break
        else:
            __passed += __is_test
    __total = sum(1 for _, t in __evol_tests if t)
    __sys.stdout.flush()
    print("\\n%s %s %s" % ("EVOL-VERDICT", __evol_nonce, __json.dumps({"passed": __passed, "total": __total,
                                                                    "failed": __failed[:1]})), flush=True)
    __sys.exit(0 if not __failed else 1)


__evol_run_tests(@TESTS@, @NONCE@)
'''


@dataclass(frozen=True)
class Verdict:
    """How one answer did against one set of tests.

    status: verified | failed_tests | tests_broken | timeout | unverifiable
    """

    status: str
    passed: int | None = None
    total: int | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


def test_statements(tests: str) -> list[tuple[str, bool]]:
    """Top-level statements of Python tests, each marked as a test (assert or call) or setup."""
    tree = pyparse.parse(tests)
    out = []
    for node in tree.body:
        src = ast.get_source_segment(tests, node) or ast.unparse(node)
        is_test = isinstance(node, ast.Assert) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)) \
            or (isinstance(node, ast.If) and "__main__" in ast.unparse(node.test))
        if isinstance(node, (ast.With, ast.Try)) and any(isinstance(n, ast.Assert) for n in ast.walk(node)):
            is_test = True  # e.g. `with pytest.raises(...)`, try/except around an expected error
        out.append((src, is_test))
    return out


def build_program(code: str, tests: str, language: str, nonce: str) -> str:
    """The program that runs `code` against `tests` (Python: with the counting harness)."""
    if language != "python":
        return code.rstrip() + "\n\n" + tests
    return code.rstrip() + "\n" + HARNESS.replace("@TESTS@", repr(test_statements(tests))).replace(
        "@NONCE@", repr(nonce))


def count_tests(tests: str, language: str) -> int:
    """How many tests a program holds (Python: test statements; others: assert-like lines)."""
    if language == "python":
        return sum(1 for _, t in test_statements(tests) if t)
    return len(re.findall(r"\bassert\w*|\bexpect\(|ASSERT_\w+", tests)) or 1


def judge(result: Any, nonce: str, language: str, instruction: str, tests: str) -> Verdict:
    """The verdict for a sandbox RunResult of `build_program(...)`."""
    seconds = round(getattr(result, "duration_s", 0.0), 4)
    if result.status == "timed_out":
        return Verdict("timeout", None, count_tests(tests, language), result.error or "timed out", seconds)
    if language != "python":
        total = count_tests(tests, language)
        if result.status == "passed":
            return Verdict("verified", total, total, "", seconds)
        return Verdict("failed_tests", None, total, _tail(result), seconds)
    stamped = _stamped(result.stdout or "", nonce)
    if stamped is None:
        kind = result.kind or "Exit"
        if kind in UNVERIFIABLE:
            return Verdict("unverifiable", None, None, f"the code needs what the sandbox withholds ({kind})", seconds)
        why = "exited before the tests ran" if result.status == "passed" else f"the code crashed: {kind}"
        return Verdict("failed_tests", 0, count_tests(tests, "python"), f"{why}: {result.error or ''}".strip(),
                       seconds)
    passed, total, failed = stamped["passed"], stamped["total"], stamped["failed"]
    if not failed:
        return Verdict("verified", passed, total, "", seconds)
    first = failed[0]
    detail = f"{first['kind']}: {first['error']} in {first['test']!r}"[:500]
    if first["kind"] in UNVERIFIABLE:
        return Verdict("unverifiable", passed, total, detail, seconds)
    missing = first.get("name")
    if first["setup"] or (first["kind"] in INTERFACE and missing and missing not in instruction):
        return Verdict("tests_broken", passed, total, detail, seconds)
    return Verdict("failed_tests", passed, total, detail, seconds)


def _stamped(stdout: str, nonce: str) -> dict[str, Any] | None:
    prefix = f"{MARK} {nonce} "
    for line in reversed(stdout.splitlines()):
        if line.startswith(prefix):
            try:
                return json.loads(line[len(prefix):])
            except ValueError:
                return None
    return None


def _tail(result: Any) -> str:
    text = (result.stderr or result.stdout or result.error or "").strip().splitlines()
    return (text[-1] if text else f"exit {result.exit_code}")[:300]
