"""The trusted judge: run a language driver on the answer's code and the cases' inputs in the sandbox, read the
results channel, decode it into exact builtin types and compare with the expected values here, outside the
answer's reach. Fail closed: a missing, duplicate, out-of-order or undecodable record, more bytes than the cap,
a non-zero exit, a signal or a timeout never verifies.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from evol.sandbox import Limits
from evol.verification.cases import Case, callee, expected_value, tolerant_equal, valid_call
from evol.verification.drivers import driver_for

RESULTS_CAP = 4 << 20  # bytes of records one run may write
# Failures that say the program needs what the sandbox does not give (stdin, network, a package): not the
# answer's fault nor the tests', so the item cannot be verified here.
UNVERIFIABLE = frozenset({"EOFError", "SandboxViolation", "ModuleNotFoundError", "ImportError"})
RECORD_KEYS = (frozenset({"i", "ok", "v"}), frozenset({"i", "ok", "error", "where"}),
               frozenset({"i", "ok", "error", "where", "name"}))


class BadRecord(ValueError):
    """The results channel held something the driver never writes."""


@dataclass(frozen=True)
class Output:
    """One case's result: its decoded value (`ok`), or the kind of error it raised and where (`answer`: a frame
    of the answer's code was on the stack; `call`: the call failed before reaching it)."""

    ok: bool
    value: Any = None
    error: str | None = None
    where: str | None = None
    name: str | None = None  # the missing name of a NameError or AttributeError


@dataclass(frozen=True)
class CaseRun:
    """What running the cases gave: status completed | timeout | crashed | unverifiable."""

    outputs: list[Output | None]
    status: str
    exit_code: int | None = None
    signal: int | None = None
    seconds: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """How one answer did against one set of cases.

    status: verified | failed_tests | tests_broken | timeout | unverifiable
    """

    status: str
    passed: int | None = None
    total: int | None = None
    detail: str = ""
    seconds: float = 0.0
    cases: list[bool] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


def decode_value(x: Any, depth: int = 0) -> Any:
    """A tagged value (JSON-decoded) as exact builtin types; BadRecord on anything else."""
    if depth > 200:
        raise BadRecord("nested too deep")
    t = type(x)
    if x is None or t in (bool, int, str):
        return x
    if t is float:
        if not math.isfinite(x):
            raise BadRecord("a non-finite float must be tagged")
        return x
    if t is list:
        return [decode_value(e, depth + 1) for e in x]
    if t is not dict or set(x) != {"$t", "v"}:
        raise BadRecord(f"not a tagged value: {str(x)[:80]}")
    tag, v = x["$t"], x["v"]
    if tag == "float" and v in ("nan", "inf", "-inf"):
        return float(v)
    if tag == "bytes" and type(v) is str:
        try:
            return base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise BadRecord("bad base64") from None
    if type(v) is not list:
        raise BadRecord(f"bad {tag!r} value")
    items = [decode_value(e, depth + 1) for e in v]
    try:
        if tag == "tuple":
            return tuple(items)
        if tag == "set":
            return set(items)
        if tag == "frozenset":
            return frozenset(items)
        if tag == "dict":
            if not all(type(p) is list and len(p) == 2 for p in items):
                raise BadRecord("dict items must be pairs")
            return {k: val for k, val in items}
    except TypeError:  # an unhashable key or member
        raise BadRecord(f"unhashable member in a {tag}") from None
    raise BadRecord(f"unknown tag {tag!r}")


def _reject_constant(name: str) -> Any:
    raise BadRecord(f"bare {name} in a record")


def decode_records(data: bytes, n: int, cap: int = RESULTS_CAP) -> tuple[list[Output | None], str]:
    """The outputs of `n` cases from the channel's bytes, and "" or why the channel is not to be trusted (then
    the outputs decoded before the first bad record are kept, the rest None)."""
    outputs: list[Output | None] = [None] * n
    if len(data) > cap:
        return outputs, f"the program wrote more than {cap} bytes of results"
    lines = data.split(b"\n")
    if lines[-1] != b"":
        return _partial(outputs, lines[:-1], "the last record is incomplete")
    return _partial(outputs, lines[:-1], "")


def _partial(outputs: list[Output | None], lines: list[bytes], why: str) -> tuple[list[Output | None], str]:
    for i, line in enumerate(lines):
        if i >= len(outputs):
            return outputs, f"more records than cases ({len(lines)} > {len(outputs)})"
        try:
            outputs[i] = _record(line, i)
        except (BadRecord, ValueError, RecursionError, UnicodeDecodeError) as exc:
            return outputs, f"record {i}: {exc}"[:300]
    if not why and len(lines) < len(outputs):
        why = f"only {len(lines)} of {len(outputs)} records"
    return outputs, why


def _record(line: bytes, i: int) -> Output:
    rec = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    if type(rec) is not dict or frozenset(rec) not in RECORD_KEYS:
        raise BadRecord("not a record")
    if type(rec["i"]) is not int or rec["i"] != i:
        raise BadRecord(f"index {rec['i']!r} where {i} was due")
    if rec["ok"] is True and "v" in rec:
        return Output(True, decode_value(rec["v"]))
    if rec["ok"] is False and type(rec["error"]) is str and rec["where"] in ("answer", "call"):
        name = rec.get("name")
        return Output(False, None, rec["error"][:100], rec["where"], name if type(name) is str else None)
    raise BadRecord("malformed record")


def run_cases(sandbox: Any, code: str, language: str, cases: list[Case], limits: Limits | None = None,
              cap: int = RESULTS_CAP) -> CaseRun:
    """Run `cases` on `code` with the language's driver in `sandbox` (blocks) and decode what came back."""
    driver = driver_for(language)
    if driver is None:
        return CaseRun([None] * len(cases), "unverifiable", detail=f"no judge driver for {language}")
    if not sandbox.supports(language):
        return CaseRun([None] * len(cases), "unverifiable", detail=f"no {language} runner in the sandbox")
    program = driver.program(code, cases)
    res = sandbox.run(program, language=language, limits=limits, exit_ok=False, results=cap)
    seconds = round(res.duration_s, 4)
    outputs, why = decode_records(res.results or b"", len(cases), cap)
    sig = -res.exit_code if res.exit_code is not None and res.exit_code < 0 else None
    if res.status == "timed_out":
        return CaseRun(outputs, "timeout", res.exit_code, sig, seconds, res.error or "timed out")
    if res.kind in UNVERIFIABLE and not any(outputs):
        return CaseRun(outputs, "unverifiable", res.exit_code, sig, seconds, f"{res.kind}: {res.error}")
    if res.status != "passed" or why:
        detail = why or f"the program failed: {res.kind}: {res.error}"
        return CaseRun(outputs, "crashed", res.exit_code, sig, seconds, detail[:500])
    return CaseRun(outputs, "completed", res.exit_code, sig, seconds)


def case_problem(case: Case, language: str) -> str | None:
    """Why a case cannot be judged (the tests' fault), or None."""
    if (case.call is None) == (case.stdin is None):
        return "a case needs exactly one of call and stdin"
    if case.call is not None and language == "python" and not valid_call(case.call):
        return f"not a call on literal inputs: {case.call[:100]!r}"
    if case.raises is not None:
        return None if case.call is not None and case.raises.isidentifier() else f"bad raises {case.raises!r}"
    if case.call is not None:
        try:
            expected_value(case, language)
        except ValueError as exc:
            return str(exc)[:200]
    return None


def _normal_stdout(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def passes(case: Case, out: Output | None, language: str) -> bool:
    """Whether an output matches the case's expected value (decoded on this side; never the program's)."""
    if case.raises is not None:
        return out is not None and not out.ok and out.error is not None and raised(out.error, case.raises)
    if out is None or not out.ok:
        return False
    if case.call is None:
        return type(out.value) is str and _normal_stdout(out.value) == _normal_stdout(case.expected)
    try:
        expected = expected_value(case, language)
    except ValueError:
        return False
    return tolerant_equal(out.value, expected, case.tolerance)


def raised(kind: str, wanted: str) -> bool:
    """Whether an error of class name `kind` is a `wanted` (subclasses of builtin exceptions included)."""
    if kind == wanted:
        return True
    got, want = getattr(builtins, kind, None), getattr(builtins, wanted, None)
    return isinstance(got, type) and isinstance(want, type) and issubclass(got, want) \
        and issubclass(want, BaseException)


def judge(cases: list[Case], run: CaseRun, language: str = "python", instruction: str | None = None) -> Verdict:
    """The verdict of a CaseRun. Blame: an error raised with the answer's code on the stack is the answer's
    (failed_tests, resample); `tests_broken` only when the cases fail on their own: one that cannot be parsed, or
    a call of a name the answer lacks and the instruction never gave."""
    total, seconds = len(cases), run.seconds
    for case in cases:
        problem = case_problem(case, language)
        if problem is not None:
            return Verdict("tests_broken", None, total, problem, seconds)
    if not cases:
        return Verdict("tests_broken", 0, 0, "no cases", seconds)
    if run.status == "unverifiable":
        return Verdict("unverifiable", None, total, run.detail, seconds)
    if run.status == "timeout":
        return Verdict("timeout", None, total, run.detail, seconds)
    flags = [passes(c, o, language) for c, o in zip(cases, run.outputs, strict=True)]
    passed = sum(flags)
    failing = [(c, o) for c, o, ok in zip(cases, run.outputs, flags, strict=True) if not ok and o is not None]
    for case, out in failing:
        if out.ok or (case.raises is not None and out.where == "answer"):
            continue
        detail = f"{out.error} in {(case.call or 'stdin')[:200]!r}"
        if out.error in UNVERIFIABLE and out.where == "answer":
            return Verdict("unverifiable", passed, total, f"the code needs what the sandbox withholds ({detail})",
                           seconds, flags)
        if _tests_fault(case, out, language, instruction):
            return Verdict("tests_broken", passed, total, detail, seconds, flags)
    if run.status == "completed" and passed == total:
        return Verdict("verified", passed, total, "", seconds, flags)
    if failing:
        case, out = failing[0]
        where, want = (case.call or "stdin")[:200], case.raises or case.expected[:100]
        detail = (f"{out.error} in {where!r}" + (f", expected {want}" if case.raises else "") if not out.ok
                  else f"{where!r} gave {repr(out.value)[:100]}, expected {'to raise ' if case.raises else ''}{want}")
    else:
        detail = run.detail
    return Verdict("failed_tests", passed, total, detail[:500], seconds, flags)


def _tests_fault(case: Case, out: Output, language: str, instruction: str | None) -> bool:
    """A call of a name (function, or method of what the call built) the answer does not define and the
    instruction never gave, failing before the answer's code ran: the tests invented it."""
    if out.error not in ("NameError", "AttributeError") or out.where != "call" or case.call is None:
        return False
    if out.error == "AttributeError" and not out.name:
        return False
    name = out.name or (callee(case.call) if language == "python" else None)
    if name is None:
        return False
    return instruction is None or re.search(rf"\b{re.escape(name)}\b", instruction) is None


def check(sandbox: Any, code: str, language: str, cases: list[Case], limits: Limits | None = None,
          instruction: str | None = None) -> Verdict:
    """run_cases + judge in one call (blocks)."""
    return judge(cases, run_cases(sandbox, code, language, cases, limits), language, instruction)
