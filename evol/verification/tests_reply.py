"""Parse the teacher's tests reply into a self-running test program (or None: `tests_unparsable`).

Accepted shapes: a JSON object {"tests": "..."} (structured output), one or several fenced blocks with prose
around them, or bare code. Python tests must hold at least one `assert` or `test_*` function; `test_*`
functions the reply defines but never calls get their calls appended, and imports of the solution's module
(`from solution import f`) are dropped, since the answer's code runs in the same script, above the tests.
"""

from __future__ import annotations

import ast
import json
import re

import evol.pyparse as pyparse
from evol.text import code_blocks
from evol.verification.code import NOT_CODE, language_of

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
