"""Test cases the trusted judge runs: a call on literal inputs and its expected literal output.

`from_asserts` converts assert-style Python tests by AST (`assert f(<literals>) == <literal>`, the float
tolerance forms of HumanEval's `check`, `is None/True/False`, bare `assert f(x)` / `assert not f(x)`, and an
expected exception: `with pytest.raises(E): f(x)` or `try: f(x) except E: pass else: assert False`); what does
not convert stays as extra checks (never needed to verify). `script` turns cases back into a plain runnable test
script, `valid_call`/`expected_value` check a case on the trusted side.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import operator
from dataclasses import asdict, dataclass
from typing import Any

import evol.pyparse as pyparse

# Builtins a Python case's arguments may call to build an input (`list(range(10))`, `iter([1, 2])`).
INPUT_BUILDERS = frozenset({"range", "list", "iter", "tuple", "set", "frozenset", "dict", "float", "str", "bytes",
                            "int", "bool", "sorted", "reversed"})
ISCLOSE_TOL = 1e-9  # math.isclose's default rel_tol
# One-argument builtins a case may wrap around its call (`tuple(f(x)) == (1, 2)`, `assert f(x)` as `bool(f(x))`).
WRAPPERS = frozenset({"bool", "tuple", "list", "sorted", "set", "len", "abs"})
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
SIZE_CAP = 1000  # exponents up to this; repeats and powers up to its square in size (evaluated on the host)


@dataclass(frozen=True)
class Case:
    """One input and its expected output (exactly one of `call` / `stdin` is set). `raises`: the call must raise
    this exception (its class name; `expected` is then unused)."""

    call: str | None
    stdin: str | None
    expected: str
    tolerance: float | None = None
    raises: str | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Case:
        return cls(rec.get("call"), rec.get("stdin"), rec.get("expected") or "", rec.get("tolerance"),
                   rec.get("raises"))


def literal(node: ast.AST) -> Any:
    """The value of a literal expression: `ast.literal_eval`'s forms plus `set()`, `frozenset([...])`,
    `tuple()`, `list()`, `dict()` and `float("nan"|"inf"|"-inf")`. ValueError when it is none of them."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords and len(node.args) <= 1:
        name, args = node.func.id, [literal(a) for a in node.args]
        if name == "float" and len(args) == 1 and isinstance(args[0], str) \
                and args[0].strip().lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return float(args[0])
        builders = {"set": set, "frozenset": frozenset, "tuple": tuple, "list": list, "dict": dict}
        if name in builders:
            return builders[name](*args)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [literal(e) for e in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:  # constant arithmetic: `2.0 / 3.0`, `3 * 19`
        left, right = literal(node.left), literal(node.right)
        _check_size(node.op, left, right)
        try:
            return ARITHMETIC[type(node.op)](left, right)
        except (TypeError, ArithmeticError) as exc:
            raise ValueError(str(exc)) from None
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("dict unpacking is not a literal")
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    return ast.literal_eval(node)


def _check_size(op: ast.operator, left: Any, right: Any) -> None:
    """ValueError when `left op right` would be too big to compute here (`'a' * 10**9`, `9 ** 10**8`)."""
    if isinstance(op, ast.Mult):
        for seq, n in ((left, right), (right, left)):
            if type(n) is int and isinstance(seq, (str, bytes, list, tuple)) and len(seq) * abs(n) > SIZE_CAP ** 2:
                raise ValueError("a repeat too large to evaluate")
    if isinstance(op, ast.Pow) and type(right) is int and (
            abs(right) > SIZE_CAP or (type(left) is int and left.bit_length() * abs(right) > SIZE_CAP ** 2)):
        raise ValueError("a power too large to evaluate")


def expected_value(case: Case, language: str = "python") -> Any:
    """The expected value of a call case on the trusted side (Python: a literal; others: JSON).
    ValueError when it does not parse."""
    if language != "python":
        try:
            return json.loads(case.expected)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"expected is not JSON: {exc}") from None
    try:
        return literal(pyparse.parse(case.expected.strip()).body[0].value)  # type: ignore[attr-defined]
    except (SyntaxError, ValueError, TypeError, IndexError, AttributeError, RecursionError, MemoryError) as exc:
        raise ValueError(f"expected is not a literal: {exc}") from None


def _is_input(node: ast.AST) -> bool:
    """A literal, or a builtin input builder applied to inputs (`list(range(5))`)."""
    try:
        literal(node)
        return True
    except (ValueError, TypeError, SyntaxError, RecursionError):
        pass
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in INPUT_BUILDERS:
        return all(_is_input(a) for a in node.args) and all(_is_input(k.value) for k in node.keywords)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_input(node.operand)
    return False


def _is_call(node: ast.AST) -> bool:
    """A call chain rooted at a name, on inputs only: `f(1, [2])`, `f(x)[0]`, `Solution().solve("a")`,
    `f(xs).get(3)`, `bool(f(1))`. At least one call."""
    calls = 0
    while True:
        if isinstance(node, ast.Call):
            if not all(_is_input(a) for a in node.args) or not all(k.arg and _is_input(k.value) for k in node.keywords):
                return _is_wrapper(node)
            calls += 1
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript):
            if not _is_input(node.slice):
                return False
            node = node.value
        elif isinstance(node, ast.Name):
            return calls > 0
        else:
            return False


def _is_wrapper(node: ast.Call) -> bool:
    """`tuple(<call>)` and the other WRAPPERS around a call."""
    return (isinstance(node.func, ast.Name) and node.func.id in WRAPPERS and len(node.args) == 1
            and not node.keywords and _is_call(node.args[0]))


def valid_call(call: str) -> bool:
    """Whether a Python case's call has the allowed shape (see `_is_call`)."""
    try:
        tree = pyparse.parse(call.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and _is_call(tree.body[0].value)


def callee(call: str) -> str | None:
    """The root name a Python call case calls (`f` in `f(1)[0]`; the inner one of `bool(f(1))`, `tuple(f(1))`)."""
    try:
        node: ast.AST = pyparse.parse(call.strip()).body[0].value  # type: ignore[attr-defined]
    except (SyntaxError, ValueError, IndexError, AttributeError):
        return None
    while isinstance(node, ast.Call) and _is_wrapper(node):
        node = node.args[0]
    while not isinstance(node, ast.Name):
        node = getattr(node, "func", None) or getattr(node, "value", None)
        if node is None:
            return None
    return node.id


def _case(call: ast.AST, expected: ast.AST | str, tolerance: float | None = None) -> Case | None:
    if not _is_call(call):
        return None
    if isinstance(expected, ast.AST):
        try:
            literal(expected)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return None
        expected = ast.unparse(expected)
    return Case(ast.unparse(call), None, expected, tolerance)


def _number(node: ast.AST) -> float | None:
    try:
        value = literal(node)
    except (ValueError, TypeError, SyntaxError):
        return None
    return float(value) if type(value) in (int, float) and value > 0 else None


def _isclose_tol(node: ast.Call) -> float:
    tols = [v for k in node.keywords if k.arg in ("rel_tol", "abs_tol") and (v := _number(k.value)) is not None]
    return max(tols) if tols else ISCLOSE_TOL


def case_of(test: ast.expr) -> Case | None:
    """The case an assert's test expresses, or None when it is not one of the convertible forms."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            return _case(left, right) or _case(right, left)
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value in (None, True, False):
            return _case(left, right)
        if isinstance(op, (ast.Lt, ast.LtE)) and (tol := _number(right)) is not None:  # abs(f(x) - y) < tol
            inner = left
            fn = inner.func if isinstance(inner, ast.Call) else None
            if fn is not None and (getattr(fn, "id", None) == "abs" or getattr(fn, "attr", None) == "fabs") \
                    and len(inner.args) == 1 and isinstance(inner.args[0], ast.BinOp) \
                    and isinstance(inner.args[0].op, ast.Sub):
                diff = inner.args[0]
                return _case(diff.left, diff.right, tol) or _case(diff.right, diff.left, tol)
        return None
    if isinstance(test, ast.Call) and len(test.args) == 2:  # math.isclose(f(x), y[, rel_tol=..., abs_tol=...])
        func = test.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "isclose":
            return _case(test.args[0], test.args[1], _isclose_tol(test)) or _case(test.args[1], test.args[0],
                                                                               _isclose_tol(test))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_call(test.operand):
        return _case(ast.Call(ast.Name("bool"), [test.operand], []), "False")
    if _is_call(test):
        return _case(ast.Call(ast.Name("bool"), [test], []), "True")
    return None


def _exception_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr
    return None


def _fails(stmt: ast.stmt) -> bool:
    """`assert False[, msg]` or `raise AssertionError(...)`."""
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Constant) and not stmt.test.value
    return isinstance(stmt, ast.Raise) and _exception_name(getattr(stmt.exc, "func", stmt.exc)) == "AssertionError"


def raises_case(stmt: ast.stmt) -> Case | None:
    """The case of an expected-exception test: `with pytest.raises(E): f(x)`, or `try: f(x) except E: pass
    else: assert False` (the failing statement may also follow the call inside the try)."""
    if (isinstance(stmt, ast.With) and len(stmt.items) == 1 and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Expr)):
        ctx = stmt.items[0].context_expr
        if (isinstance(ctx, ast.Call) and _exception_name(ctx.func) == "raises" and len(ctx.args) == 1
                and (name := _exception_name(ctx.args[0])) is not None and _is_call(stmt.body[0].value)):
            return Case(ast.unparse(stmt.body[0].value), None, "", None, name)
    if (isinstance(stmt, ast.Try) and len(stmt.handlers) == 1 and not stmt.finalbody and stmt.body
            and isinstance(stmt.body[0], ast.Expr) and _is_call(stmt.body[0].value)):
        handler, rest = stmt.handlers[0], stmt.body[1:]
        name = _exception_name(handler.type)
        fails = ((len(rest) == 1 and _fails(rest[0]) and not stmt.orelse)
                 or (not rest and len(stmt.orelse) == 1 and _fails(stmt.orelse[0])))
        if name is not None and fails and all(isinstance(s, ast.Pass) or _is_noise(s) for s in handler.body):
            return Case(ast.unparse(stmt.body[0].value), None, "", None, name)
    return None


def from_asserts(tests: str, rename: dict[str, str] | None = None) -> tuple[list[Case], list[str]]:
    """(cases, extra checks) of Python assert-style tests: each top-level `assert` (also inside a `def check`
    or `def test_*` body that takes no setup) of a convertible form becomes a case; every other statement is
    kept, as source, among the extra checks. `rename` maps names (HumanEval's `candidate`) to the real ones.
    SyntaxError when `tests` does not parse."""
    tree = pyparse.parse(tests)
    if rename:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in rename:
                node.id = rename[node.id]
    cases: list[Case] = []
    extra: list[str] = []
    bindings: list[str] = []
    env: dict[str, ast.expr] = {}
    for node in tree.body:
        body = node.body if isinstance(node, ast.FunctionDef) and _is_test_function(node) else [node]
        for stmt in body:
            bound = _binding(stmt, env)
            if bound is not None:  # `r = f(1)` / `xs = [1, 2]`: inlined into the asserts that use it
                env[bound[0]] = bound[1]
                bindings.append(ast.unparse(stmt))
                continue
            inlined = _Inline(env).visit(copy.deepcopy(stmt))
            case = case_of(inlined.test) if isinstance(inlined, ast.Assert) else raises_case(inlined)
            if case is not None:
                cases.append(case)
            elif not _is_noise(stmt):
                if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    env.clear()  # a name rebound in a way not followed: inline nothing from before
                extra.append(ast.unparse(stmt))
    return cases, (bindings + extra if extra else [])


class _Inline(ast.NodeTransformer):
    """Replace loaded names by the expressions they were bound to."""

    def __init__(self, env: dict[str, ast.expr]) -> None:
        self.env = env

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.env:
            return copy.deepcopy(self.env[node.id])
        return node


def _binding(stmt: ast.stmt, env: dict[str, ast.expr]) -> tuple[str, ast.expr] | None:
    """(name, value) of `name = <input or call>` (earlier bindings inlined into the value), else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    value = _Inline(env).visit(copy.deepcopy(stmt.value))
    if _is_input(value) or _is_call(value):
        return stmt.targets[0].id, value
    return None


def _is_test_function(node: ast.FunctionDef) -> bool:
    """A `check(candidate)` / `test_*()` function whose body is only asserts (and a docstring or `pass`)."""
    named = node.name == "check" or node.name.startswith("test")
    return named and all(isinstance(s, (ast.Assert, ast.Try, ast.With)) or _is_noise(s) or _binding(s, {}) is not None
                         or (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name))
                         for s in node.body)


def _is_noise(stmt: ast.stmt) -> bool:
    """Statements that check nothing: a docstring/constant/bare name, `pass`, `assert True`, a call of a test
    function."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Constant, ast.Name)):
        return True
    if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Constant) and stmt.test.value:
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name) \
        and (stmt.value.func.id == "check" or stmt.value.func.id.startswith("test")) and not stmt.value.args


def count_asserts(checks: list[str]) -> int:
    """How many assertions the extra checks hold."""
    total = 0
    for source in checks:
        try:
            total += sum(isinstance(n, ast.Assert) for n in ast.walk(pyparse.parse(source)))
        except SyntaxError:
            continue
    return total


def script(cases: list[Case], checks: list[str] | None = None) -> str:
    """A plain Python test script of the cases (then the extra checks): `code + "\\n\\n" + script` exits 0
    exactly when every case passes (and the checks hold)."""
    lines = []
    if any(c.tolerance is not None for c in cases):
        lines.append("import math")
    for case in cases:
        if case.call is None:
            continue
        if case.raises is not None:
            lines += ["try:", f"    {case.call}", f"except {case.raises}:", "    pass", "else:",
                      f"    raise AssertionError({f'{case.call} did not raise {case.raises}'!r})"]
        elif case.tolerance is not None:
            lines.append(f"assert math.isclose({case.call}, {case.expected}, rel_tol={case.tolerance!r}, "
                         f"abs_tol={case.tolerance!r})")
        else:
            lines.append(f"assert {case.call} == {case.expected}")
    lines += list(checks or [])
    return "\n".join(lines) + "\n"


def tolerant_equal(actual: Any, expected: Any, tolerance: float | None) -> bool:
    """Python == on plain builtins, except that a bool matches only a bool (an `is True` test, or a predicate,
    is not met by 1) and that floats (also inside lists, tuples and dict values) compare within `tolerance`
    (absolute or relative) when one is given."""
    if (type(actual) is bool) != (type(expected) is bool):
        return False
    if type(actual) in (int, float) and type(expected) in (int, float) and type(actual) is not bool:
        if tolerance is not None:
            return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)
        return bool(actual == expected)
    if type(actual) is type(expected) and type(actual) in (list, tuple):
        return len(actual) == len(expected) and all(
            tolerant_equal(a, e, tolerance) for a, e in zip(actual, expected, strict=True))
    if type(actual) is dict and type(expected) is dict:
        return actual.keys() == expected.keys() and all(
            tolerant_equal(actual[k], expected[k], tolerance) for k in expected)
    try:
        return bool(actual == expected)
    except RecursionError:
        return False
