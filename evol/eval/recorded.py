"""Problems whose tests do not convert to cases (HumanEval: loops, seeded random inputs, property checks; 7 of
the 164): their calls recorded once against the canonical solution, and their `check` replayed apart from the
code it judges.

- `recorded_cases`: the check runs in the sandbox against the canonical solution (random seeded); every call of
  the function under test, as `candidate` or by its own name, is recorded with the canonical result.
- `replayed`: a completion runs on those calls through the trusted judge (typed results, out of its process);
  then the problem's own `check` runs in a program of its own, with the function under test replaying the
  completion's results call by call. The completion's code is never in that program, so its exit status is the
  check's verdict: property checks (`find_zero`: any root) keep their meaning and nothing the completion does
  can forge a pass. A call the replay was not recorded for fails closed.
"""

from __future__ import annotations

import ast
import base64
import json
import pickle
from typing import Any

from evol.eval.problems import Problem
from evol.sandbox import Limits
from evol.sandbox.settings import SandboxLike
from evol.verification.cases import Case
from evol.verification.judge import CaseRun

FLOAT_TOLERANCE = 1e-6
RECORD_CAP = 4 << 20
RECORDER = """
import json as _json, os as _os, random as _random
_random.seed(0)
_calls = []
_canonical = {entry}
def _recorded(*args):
    shown = repr(args)
    result = _canonical(*args)
    _calls.append([shown, repr(result)])
    return result
{entry} = _recorded
check(_recorded)
_os.write(int(_os.environ["EVOL_RESULTS_FD"]), _json.dumps(_calls).encode())
"""
REPLAY = """
import base64 as _b64, pickle as _pickle, random as _random
_random.seed(0)
_script = _pickle.loads(_b64.b64decode({script!r}))
def _replay(*args):
    if not _script:
        raise AssertionError("a call the replay was not recorded for")
    shown, ok, value = _script.pop(0)
    if repr(args) != shown:
        raise AssertionError("a call the replay was not recorded for")
    if not ok:
        raise RuntimeError(value)
    return value
{entry} = _replay
check(_replay)
if _script:
    raise AssertionError("calls recorded but not made")
"""


def reference(problem: Problem) -> str:
    """The canonical solution as a whole program (prompt + body)."""
    return problem.prompt + (problem.canonical_solution or "")


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


def replay_program(problem: Problem, cases: list[Case], run: CaseRun) -> str:
    """The problem's check with the function under test replaying `run`'s results on `cases` (no completion code:
    the prompt's helpers with the function's body left empty, then the check)."""
    script = []
    for case, out in zip(cases, run.outputs, strict=True):
        shown = (case.call or "")[len(problem.entry_point or ""):]
        ok = out is not None and out.ok
        script.append((shown, ok, out.value if ok else (out.error if out is not None else "no result")))
    data = base64.b64encode(pickle.dumps(script)).decode()
    return (helpers(problem) + "\n\n" + problem.test + "\n"
            + REPLAY.format(script=data, entry=problem.entry_point))


def helpers(problem: Problem) -> str:
    """The prompt's code with the function under test's body left empty (its helpers, imports and constants)."""
    return problem.prompt.rstrip() + "\n    ...\n"


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


def replayed(sandbox: SandboxLike, problem: Problem, cases: list[Case], run: CaseRun) -> dict[str, Any]:
    """The check's verdict on a completion's results: {"passed", "kind", "error"} (the check program's own exit).
    Fail closed: a run that did not complete (a crash or an exit after its records, a timeout) fails, whatever
    records it wrote, as everywhere else in the judge."""
    if run.status != "completed":
        kind = {"timeout": "Timeout", "crashed": "Crashed"}.get(run.status, run.status)
        return {"passed": False, "kind": kind, "error": run.detail}
    done = sandbox.run(replay_program(problem, cases, run), limits=Limits(timeout_s=30.0), exit_ok=False)
    return {"passed": bool(done.passed), "kind": done.kind, "error": done.error}
