"""Parse the teacher's tests reply into cases the judge runs (or None: `tests_unparsable`).

`parse_cases`: a JSON object {"cases": [{"call"|"stdin": ..., "expected": ...}, ...], "checks": ...} (structured
output, or a fenced ```json block), else (Python) assert-style tests converted by AST (`cases.from_asserts`); the
assertions that do not convert are kept as extra checks. Cases the judge could not run are dropped.
`parse_tests`: assert-style tests as a self-running program. Accepted shapes: a JSON object {"tests": "..."},
one or several fenced blocks with prose around them, or bare code. Python tests must hold at least one `assert`
or `test_*` function; `test_*` functions the reply defines but never calls get their calls appended, and imports
of the solution's module (`from solution import f`) are dropped, since the answer's code comes first.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import evol.pyparse as pyparse
from evol.text import code_blocks, json_replies
from evol.verification.cases import Case, from_asserts
from evol.verification.code import NOT_CODE, language_of
from evol.verification.judge import case_problem

SOLUTION_MODULES = r"(?:solution|solutions|main|answer|code|module|your_module|my_module|program|app)"
SOLUTION_IMPORT = re.compile(rf"^\s*(?:from\s+{SOLUTION_MODULES}\s+import\s+.*|import\s+{SOLUTION_MODULES})\s*$",
                             re.M)
ASSERTISH = re.compile(r"\bassert|\bexpect\(|\bASSERT|\bassert_eq!|\bpanic!|\bif\b.*\bexit\b|process\.exit", re.I)


def parse_tests(reply: str, language: str, structured: bool = False) -> str | None:
    """The tests as a program to append to the answer's code, or None when the reply has none."""
    text = reply or ""
    if structured or text.lstrip().startswith("{"):
        text = _from_json(text) or text
    blocks = [code for tag, code in code_blocks(text)
              if code.strip() and tag not in NOT_CODE and (not tag or language_of(tag) == language)]
    if not blocks and "```" not in text:
        blocks = [text]
    source = "\n\n".join(b.strip("\n") for b in blocks).strip()
    if not source:
        return None
    if language == "python":
        return _python_tests(source)
    return source + "\n" if ASSERTISH.search(source) else None


def parse_cases(reply: str, language: str, structured: bool = False) -> tuple[list[Case], list[str]] | None:
    """(cases, extra checks) of a tests reply; None when it holds no case the judge can run."""
    data = _json_cases(reply or "", language)
    if data is not None:
        cases, checks = data
    elif language == "python":
        try:
            tests = parse_tests(reply, language, structured)
            if tests is None:
                return None
            cases, checks = from_asserts(tests)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # a reply nested past what parses
            return None
    else:
        return None
    cases = [c for c in cases if case_problem(c, language) is None]
    return (cases, checks) if cases else None


def _json_cases(text: str, language: str) -> tuple[list[Case], list[str]] | None:
    """Cases from a JSON reply (the whole text or a fenced json block): {"cases": [...], "checks": ...} or a
    bare list of cases; None when there is none."""
    for data in json_replies(text):
        if isinstance(data, list):
            data = {"cases": data}
        if isinstance(data, dict) and isinstance(data.get("cases"), list):
            checks = data.get("checks") or []
            checks = [checks] if isinstance(checks, str) else [c for c in checks if isinstance(c, str)]
            cases = [_case(item, language) for item in data["cases"]]
            return [c for c in cases if c is not None], [c for c in checks if c.strip()]
    return None


def _case(item: Any, language: str) -> Case | None:
    """One case of a JSON reply. `expected` is the value's source text; given as a JSON value instead, it is
    written as one (Python: its repr; a Python text that is no literal is taken as the string it says)."""
    if not isinstance(item, dict):
        return None
    call, stdin, expected = item.get("call"), item.get("stdin"), item.get("expected")
    tolerance, raises = item.get("tolerance"), item.get("raises")
    if isinstance(call, str) and call.strip() and stdin is None and isinstance(raises, str) and raises.strip():
        return Case(call.strip(), None, "", None, raises.strip())
    if isinstance(call, str) and call.strip() and stdin is None:
        text = expected if isinstance(expected, str) else (repr if language == "python" else json.dumps)(expected)
        if language == "python" and isinstance(expected, str) and case_problem(Case("f()", None, text), language):
            text = repr(expected)
        tol = float(tolerance) if type(tolerance) in (int, float) and tolerance > 0 else None
        return Case(call.strip(), None, text, tol)
    if isinstance(stdin, str) and call is None and isinstance(expected, str):
        return Case(None, stdin, expected)
    return None


def _from_json(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    tests = data.get("tests") if isinstance(data, dict) else None
    return tests if isinstance(tests, str) and tests.strip() else None


def _python_tests(source: str) -> str | None:
    source = SOLUTION_IMPORT.sub("", source).strip()
    try:
        tree = pyparse.parse(source)
    except (SyntaxError, ValueError):
        return None
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    has_assert = any(isinstance(n, ast.Assert) for n in ast.walk(tree))
    if not has_assert and not defined:
        return None
    uncalled = [name for name in defined if name not in called]
    if uncalled:
        source += "\n\n" + "\n".join(f"{name}()" for name in uncalled)
    return source + "\n"


JOINT_TESTS = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[^\n]*\n\s*(?:#|//|--)\s*tests?\b.*?(?:```|\Z)", re.S | re.I)


def split_joint(reply: str) -> tuple[str, str | None]:
    """Split a joint reply (answer_with_tests template) into the answer and its raw tests block.

    The tests block is the last fenced block whose first line is a `# Tests` (or `// Tests`) comment; without
    one, the last of two or more blocks that holds an assert. The answer keeps everything else.
    """
    matches = list(JOINT_TESTS.finditer(reply))
    if not matches:
        fences = list(re.finditer(r"```[^\n]*\n.*?(?:```|\Z)", reply, re.S))
        matches = [m for m in fences[1:] if ASSERTISH.search(m.group(0))][-1:]
    if not matches:
        return reply, None
    last = matches[-1]
    return (reply[: last.start()] + reply[last.end():]).strip(), last.group(0)
