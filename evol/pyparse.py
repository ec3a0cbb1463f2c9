"""`ast.parse` that threads may call at once.

CPython 3.11's AST builder tracks its recursion depth in shared interpreter state, so two threads parsing at
the same moment can fail with "SystemError: AST constructor recursion depth mismatch" (the response filters
and the execution filter parse in worker threads while verification parses on the event loop). One lock
serializes every parse in the process; parsing is fast, so nothing waits long.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """`ast.parse(source)`, serialized with every other parse of this process."""
    with _LOCK:
        return ast.parse(source)


def literal_eval(source: str) -> object:
    """`ast.literal_eval(source)` (it parses), serialized with every other parse of this process."""
    with _LOCK:
        return ast.literal_eval(source)
