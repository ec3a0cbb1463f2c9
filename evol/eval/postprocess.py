"""From a model's answer to the code under test, without ever raising.

1. Take the fenced Python block (an unclosed fence runs to the end); prefer the block that defines the
   entry point. Without a fence, drop leading and trailing prose around the code.
2. Cut at `if __name__ == "__main__":` (either quotes, any spacing, parentheses, reversed) and at a
   top-level `# Example usage` / `# Test cases` style comment.
3. Drop test scaffolding: top-level statements that print, assert, read input or call the code's own
   functions (when the code parses); else cut at the first top-level `print(`/`assert` line.
Imports, helper functions, classes and constants stay.
"""

from __future__ import annotations

import ast
import re

import evol.pyparse as pyparse

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
PYTHON_TAGS = {"python", "py", "python3", "py3"}
MAIN = re.compile(
    r"""^if\s*\(?\s*(?:__name__\s*==\s*(['"])__main__\1|(['"])__main__\2\s*==\s*__name__)\s*\)?\s*:""", re.M
)
MARKER = re.compile(
    r"^#+\s*(?:example usage|sample usage|usage example|examples?|test cases?|tests?|testing"
    r"|driver code|check the function)\b.*$",
    re.M | re.I,
)
STRAY = re.compile(r"^(?:print\s*\(|assert\b)", re.M)
CODE_START = re.compile(r"^(?:def |class |import |from \S+ import |@|async def )", re.M)
SPECIAL_TOKENS = ("<|endoftext|>", "</s>", "<|im_end|>", "<|EOT|>")
SCAFFOLD_CALLS = {"print", "input", "exit", "quit"}


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code to test from one completion (possibly empty). Never raises."""
    try:
        return _extract(text or "", entry_point)
    except (RecursionError, MemoryError, ValueError):  # pathological input: keep the raw text
        return text or ""


def _extract(text: str, entry_point: str | None) -> str:
    text = text.replace("\r\n", "\n")
    for token in SPECIAL_TOKENS:
        text = text.split(token)[0]
    code = _pick_block(text, entry_point)
    if code is None:
        code = _strip_prose(text)
    for pattern in (MAIN, MARKER):
        code = _cut(code, pattern, entry_point)
    code = _drop_scaffolding(code, entry_point)
    return code.rstrip() + "\n" if code.strip() else ""


def _cut(code: str, pattern: re.Pattern[str], entry_point: str | None) -> str:
    """Cut at the first match, unless that would cut away the entry point's definition."""
    match = pattern.search(code)
    if match is None:
        return code
    head = code[: match.start()]
    if entry_point and _defines(code, entry_point) and not _defines(head, entry_point):
        return code
    return head


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M) is not None


def _pick_block(text: str, entry_point: str | None) -> str | None:
    blocks = [(m.group(1).lower(), m.group(2)) for m in FENCE.finditer(text)]
    candidates = [code for lang, code in blocks if lang in PYTHON_TAGS] or [code for lang, code in blocks if not lang]
    if not candidates:
        return None
    if entry_point:
        for code in candidates:
            if _defines(code, entry_point):
                return code
    return candidates[0]


def _strip_prose(text: str) -> str:
    """Unfenced text: drop prose before the first code line and after the code, if it then parses."""
    if _parses(text) or not text.strip() or text.lstrip("\n")[:1] in (" ", "\t"):
        return text  # valid code, or a function-body continuation
    start = CODE_START.search(text)
    if start is None:
        return text
    lines = text[start.start() :].split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line[:1].isalpha() and " " in line and not _parses(line) and not CODE_START.match(line):
            return "\n".join(lines[:i])
    return "\n".join(lines)


def _parses(code: str) -> bool:
    try:
        pyparse.parse(code)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _drop_scaffolding(code: str, entry_point: str | None) -> str:
    try:
        tree = pyparse.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _cut(code, STRAY, entry_point)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    own = {n.name for n in defs}
    used = {n.id for d in defs for n in ast.walk(d) if isinstance(n, ast.Name)}
    lines = code.split("\n")
    drop: set[int] = set()
    for node in tree.body:
        if _is_scaffolding(node, own, used):
            drop.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _is_scaffolding(node: ast.stmt, own: set[str], used: set[str]) -> bool:
    """A top-level statement that only exercises the code (prints, asserts, input, calls of its own defs)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return False  # a stray string or docstring is harmless
    targets = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if targets & used:
        return False  # a value the functions read (a table, a constant): needed
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert):
            return True
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            if sub.func.id in SCAFFOLD_CALLS or sub.func.id in own:
                return True
    return False
