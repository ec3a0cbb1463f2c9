"""Mutants of a Python answer, to measure whether its tests have teeth (a small, deterministic AST mutation set).

Each mutant changes one thing inside a function body: a comparison or arithmetic operator, an integer
constant off by one, a dropped statement, two call arguments swapped, or an early return (of None, or of the
first parameter unchanged). Tests that pass the answer but also pass a mutant cannot tell the two apart: the
share of mutants the tests kill is the mutation score. Mutation is syntactic, so some mutants are equivalent
to the answer (no test can kill them); the score is a lower bound on the tests' strength.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from evol.pyparse import parse

COMPARE_SWAP: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                                  ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
                                  ast.Is: ast.IsNot, ast.IsNot: ast.Is}
ARITH_SWAP: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult,
                                ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
KINDS = ("compare", "arith", "constant", "drop", "swap_args", "early_return")


@dataclass(frozen=True)
class Mutant:
    kind: str
    line: int
    code: str


# A site: (kind, line, path to a node, what to do). The path is a list of (field, index) steps from the module.
Path = tuple[tuple[str, int | None], ...]


def mutants(code: str, limit: int = 12) -> list[Mutant]:
    """Up to `limit` distinct mutants of `code`, taken round-robin over the kinds (deterministic)."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return []
    by_kind: dict[str, list[tuple[int, Path, str]]] = {k: [] for k in KINDS}
    for kind, line, path, how in _sites(tree):
        by_kind[kind].append((line, path, how))
    out: list[Mutant] = []
    seen = {ast.unparse(tree)}
    queues = [list(v) for v in by_kind.values()]
    while len(out) < limit and any(queues):
        for kind, queue in zip(KINDS, queues, strict=True):
            while queue and len(out) < limit:
                line, path, how = queue.pop(0)
                source = _apply(tree, path, how)
                if source is not None and source not in seen:
                    seen.add(source)
                    out.append(Mutant(kind, line, source))
                    break
    return out


def _sites(tree: ast.Module) -> Iterator[tuple[str, int, Path, str]]:
    """Every mutation site inside a function body, in source order."""
    for path, node in _walk(tree, (), inside=False):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare) and type(node.ops[0]) in COMPARE_SWAP:
            yield "compare", line, path, "compare"
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in ARITH_SWAP:
            yield "arith", line, path, "arith"
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield "constant", line, path, "plus_one"
        elif isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
                isinstance(a, ast.Starred) for a in node.args[:2]):
            yield "swap_args", line, path, "swap"
        if (isinstance(node, ast.stmt) and path and path[-1][0] in ("body", "orelse") and not _docstring(node)
                and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))):
            yield "drop", line, path, "drop"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield "early_return", line, path, "return_none"
            if node.args.args:
                yield "early_return", line, path, "return_arg"


def _walk(node: ast.AST, path: Path, inside: bool) -> Iterator[tuple[Path, ast.AST]]:
    if inside:
        yield path, node
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield path, node
    for field, value in ast.iter_fields(node):
        if field in ("decorator_list", "returns", "annotation", "args") and isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.arg)):
            continue
        now = inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(value, list):
            for i, child in enumerate(value):
                if isinstance(child, ast.AST):
                    yield from _walk(child, (*path, (field, i)), now)
        elif isinstance(value, ast.AST):
            yield from _walk(value, (*path, (field, None)), now)


def _docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _apply(tree: ast.Module, path: Path, how: str) -> str | None:
    """The source of `tree` with the node at `path` mutated as `how` says (None when it cannot be)."""
    new = copy.deepcopy(tree)
    parent: ast.AST = new
    for field, index in path[:-1]:
        parent = getattr(parent, field) if index is None else getattr(parent, field)[index]
    field, index = path[-1]
    node = getattr(parent, field) if index is None else getattr(parent, field)[index]
    if how == "compare":
        node.ops = [COMPARE_SWAP[type(node.ops[0])](), *node.ops[1:]]
    elif how == "arith":
        node.op = ARITH_SWAP[type(node.op)]()
    elif how == "plus_one":
        node.value += 1
    elif how == "swap":
        node.args[0], node.args[1] = node.args[1], node.args[0]
    elif how == "drop":
        body = getattr(parent, field)
        if len(body) == 1:
            body[0] = ast.Pass()
        else:
            del body[index]
    elif how in ("return_none", "return_arg"):
        value = ast.Name(node.args.args[0].arg, ast.Load()) if how == "return_arg" else ast.Constant(None)
        start = 1 if node.body and _docstring(node.body[0]) else 0
        node.body.insert(start, ast.Return(value))
    try:
        return ast.unparse(ast.fix_missing_locations(new))
    except (ValueError, TypeError, AttributeError):  # pragma: no cover - a mutation unparse cannot print
        return None


def score(killed: list[bool]) -> float | None:
    """The share of mutants killed (None when there were none to kill)."""
    return round(sum(killed) / len(killed), 4) if killed else None
