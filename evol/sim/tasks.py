"""The simulator's task world, so verification has something true to check.

Every instruction maps to a small task: a function over a list of integers (one of four families, fixed by the
instruction's first sentence so it stays the same along a lineage) plus the requirements the sim's own
evolutions add (input validation, type hints, an operation count, large inputs, one-shot iterables). The sim's
answers implement the task (sometimes with a bug or a crash, varying with the request's seed), and its tests
check it (sometimes unparsable, wrong or calling a function the task never named), at rates set in `Rates`.
A child whose new requirement changes behaviour gets a test its parent's answer fails; one whose requirement
changes nothing testable (thread safety, documentation) does not: that is `no_tested_gain` for the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, fields

from evol.sim import misread

NOT_NAMES = frozenset({"print", "range", "len", "max", "min", "sorted", "sum", "list", "dict", "set", "str", "int",
                       "open", "input", "map", "filter", "zip", "enumerate", "isinstance", "type", "main", "append",
                       "remove", "format", "split", "join", "count", "get", "items", "keys", "values", "tuple"})
NAME = re.compile(r"\b([a-z_][a-z0-9_]{2,})\(")
# Requirements the sim's evolutions write, and the behaviour each one asks for.
MARKERS = {
    "validate": ("raise a ValueError",),
    "hints": ("must include type hints",),
    "ops": ("number of operations performed",),
    "fast": ("up to one million elements", "O(n", "O(log n)"),
    "iterable": ("deque from the collections module", "ring buffer"),
}
FAMILIES = ("unique_sorted", "running_max", "counts", "equal_pairs")
SAMPLE = [3, 1, 2, 3, 5, 1, 4]
EXPECTED = {
    "unique_sorted": ([1, 2, 3, 4, 5], "[]"),
    "running_max": ([3, 3, 3, 3, 5, 5, 5], "[]"),
    "counts": ({3: 2, 1: 2, 2: 1, 5: 1, 4: 1}, "{}"),
    "equal_pairs": (2, "0"),
}
BIG = "list(range(200000))"
BIG_CHECK = {"unique_sorted": ("[-1]", "199999"), "running_max": ("[-1]", "199999"), "counts": (".get(199999)", "1"),
             "equal_pairs": ("", "0")}
NAIVE = {
    "unique_sorted": ("out = []\n    for i in range(len(xs)):\n        if xs[i] not in out:\n"
                      "            out.append(xs[i])\n            ops += 1\n    result = sorted(out)"),
    "running_max": "result = [max(xs[: i + 1]) for i in range(len(xs))]\n    ops += len(xs)",
    "counts": "result = {x: xs.count(x) for x in xs}\n    ops += len(xs)",
    "equal_pairs": ("result = 0\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n"
                    "            result += xs[i] == xs[j]\n            ops += 1"),
}
FAST = {
    "unique_sorted": "result = sorted(set(xs))\n    ops += len(xs)",
    "running_max": ("result, best = [], None\n    for x in xs:\n"
                    "        best = x if best is None or x > best else best\n"
                    "        result.append(best)\n        ops += 1"),
    "counts": "result = {}\n    for x in xs:\n        result[x] = result.get(x, 0) + 1\n        ops += 1",
    "equal_pairs": ("seen = {}\n    result = 0\n    for x in xs:\n        result += seen.get(x, 0)\n"
                    "        seen[x] = seen.get(x, 0) + 1\n        ops += 1"),
}
BUGS = {  # a wrong result on ordinary input
    "unique_sorted": "result = result[1:]", "running_max": "result = result[:-1]",
    "counts": "result = {k: v + 1 for k, v in result.items()}", "equal_pairs": "result = result + 1",
}
JS = {
    "unique_sorted": "return [...new Set(xs)].sort((a, b) => a - b);",
    "running_max": ("const out = [];\n  let best = null;\n"
                    "  for (const x of xs) { best = best === null || x > best ? x : best; out.push(best); }\n"
                    "  return out;"),
}
JS_BUGS = {"unique_sorted": "return [...new Set(xs)].sort((a, b) => a - b).slice(1);",
           "running_max": "return xs.slice(0, -1);"}
JS_EXPECTED = {"unique_sorted": "[1, 2, 3, 4, 5]", "running_max": "[3, 3, 3, 3, 5, 5, 5]"}
SWAP_BACK = {"deque from the collections module": "list", "byte string": "string", "stably sort": "sort",
             "ordered mapping keyed by tuples": "dictionary", "memory-mapped file": "file",
             "arbitrary-precision rational number": "integer", "ring buffer": "array", "decimal value": "number"}


@dataclass(frozen=True)
class Rates:
    """How often the sim misbehaves (shares of replies, 0..1). Override with EVOL_SIM_RATES='{"answer_bug": 0.5}'."""

    tests_unparsable: float = 0.04
    tests_wrong: float = 0.04
    tests_broken: float = 0.03
    answer_bug: float = 0.25
    answer_crash: float = 0.04
    answer_misread: float = 0.0  # an answer follows a plausible misreading (evol/sim/misread.py)
    tests_misread: float = 0.0  # tests expect what the misreading gives
    tests_vacuous: float = 0.0  # tests check only the empty input
    shared_misread: float = 0.0  # a task every answer and its tests misread alike
    referee_misread: float = -1.0  # the referee follows the misreading (< 0: as answers do, the same model)

    @classmethod
    def from_env(cls) -> Rates:
        raw = json.loads(os.environ.get("EVOL_SIM_RATES") or "{}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in raw.items() if k in known})


def bucket(text: str, salt: str, n: int) -> int:
    """A stable pseudo-random number in [0, n) for this text."""
    return int.from_bytes(hashlib.sha256((salt + "\x1f" + text).encode()).digest()[:8], "big") % n


def roll(text: str, salt: str, rate: float) -> bool:
    return bucket(text, salt, 1_000_000) < rate * 1_000_000


@dataclass(frozen=True)
class Task:
    """What an instruction asks for, as the sim understands it."""

    name: str
    family: str
    needs: frozenset[str]
    language: str
    text: str = field(default="", compare=False)  # the instruction (a task-wide misreading rolls on it)

    @classmethod
    def of(cls, instruction: str) -> Task:
        names = [n for n in NAME.findall(instruction) if n not in NOT_NAMES]
        first = re.split(r"(?<=[.!?])\s", instruction.strip(), maxsplit=1)[0].lower()
        for rare, common in SWAP_BACK.items():
            first = first.replace(rare, common)
        needs = frozenset(k for k, phrases in MARKERS.items() if any(p in instruction for p in phrases))
        js = re.search(r"\bjavascript\b|\bnode\.js\b", instruction, re.I) is not None
        families = FAMILIES[:2] if js else FAMILIES
        return cls(names[0] if names else "solve", families[bucket(first, "family", len(families))], needs,
                   "javascript" if js else "python", instruction)

    def misread(self, draw: str, salt: str, rate: float, rates: Rates) -> bool:
        """Whether this draw follows the misreading: the task's shared one, or its own at `rate`."""
        return self.language == "python" and (roll(self.text, "shared_misread", rates.shared_misread)
                                              or roll(draw, salt, rate))

    def code(self, seed: str, rates: Rates) -> str:
        """The answer's code: the task's function (a bug or a crash at the configured rates) and an example call."""
        if self.language == "javascript":
            body = JS_BUGS[self.family] if roll(seed, "bug", rates.answer_bug) else JS[self.family]
            check = ('  if (!Array.isArray(xs)) throw new TypeError("xs must be an array");\n'
                     if "validate" in self.needs else "")
            return f"function {self.name}(xs) {{\n{check}  {body}\n}}\n\nconsole.log({self.name}({SAMPLE}));\n"
        fast = "fast" in self.needs
        lines = [FAST[self.family] if fast else NAIVE[self.family]]
        if self.misread(seed, "answer_misread", rates.answer_misread, rates):
            lines = [misread.CODE[self.family]]
        if roll(seed, "bug", rates.answer_bug):
            lines.append(BUGS[self.family])
        prep = []
        if "validate" in self.needs:
            prep.append("if xs is None or isinstance(xs, (str, bytes)) or not hasattr(xs, '__iter__'):\n"
                        "        raise ValueError('xs must be an iterable of integers')")
        if "iterable" in self.needs:
            prep.append("xs = list(xs)")
        sig = "xs: list[int]) -> object" if "hints" in self.needs else "xs)"
        result = "(result, ops)" if "ops" in self.needs else "result"
        body = "\n    ".join([*prep, "ops = 0", *lines, f"return {result}"])
        call = "None" if roll(seed, "crash", rates.answer_crash) else repr(SAMPLE)
        doc = '"""Solve the task for a list of integers."""'
        return f"def {self.name}({sig}:\n    {doc}\n    {body}\n\n\nprint({self.name}({call}))\n"

    def tests(self, prompt: str, rates: Rates) -> str:
        """A tests reply: test cases as a fenced JSON object, or a bad one at the configured rates."""
        if roll(prompt, "tests_unparsable", rates.tests_unparsable):
            return "Tests should cover normal input, empty input and large input. Good luck!"
        cases, checks = self.cases(prompt, rates)
        return "```json\n" + json.dumps({"cases": cases, "checks": "\n".join(checks)}, indent=1) + "\n```"

    def joint_tests(self, prompt: str, rates: Rates) -> str:
        """The tests block of a joint reply: plain asserts (Python), or assert calls (JavaScript)."""
        if roll(prompt, "tests_unparsable", rates.tests_unparsable):
            return "Tests should cover normal input, empty input and large input. Good luck!"
        if self.language == "javascript":
            return f"```javascript\n{self._js_tests(prompt, rates)}```"
        from evol.verification.cases import Case, script  # the sim writes what a teacher would: plain asserts

        cases, checks = self.cases(prompt, rates)
        return "```python\n" + script([Case.from_record(c) for c in cases], checks) + "```"

    def cases(self, prompt: str, rates: Rates) -> tuple[list[dict[str, str]], list[str]]:
        """The task's test cases (call, expected or raises) and its extra checks, at the configured error rates."""
        js = self.language == "javascript"
        fn = ("helperCheck" if js else "helper_check") if roll(prompt, "tests_broken", rates.tests_broken) \
            else self.name
        value, empty = (JS_EXPECTED[self.family], "[]") if js else (repr(EXPECTED[self.family][0]),
                                                                     EXPECTED[self.family][1])
        if roll(prompt, "tests_wrong", rates.tests_wrong):
            value = "[0]" if js else "'wrong'"
        elif self.misread(prompt, "tests_misread", rates.tests_misread, rates):
            value = repr(misread.EXPECTED[self.family])
        get = "[0]" if "ops" in self.needs and not js else ""
        cases = [{"call": f"{fn}({SAMPLE}){get}", "expected": value}, {"call": f"{fn}([]){get}", "expected": empty}]
        if not js and roll(prompt, "tests_vacuous", rates.tests_vacuous):
            return cases[1:], []  # only the empty input: any answer that returns an empty result passes
        checks = []
        if "validate" in self.needs:
            cases.append({"call": f"{fn}(null)" if js else f"{fn}(None)", "raises": "TypeError" if js else "ValueError",
                          "expected": ""})
        if js:
            return cases, checks
        if "hints" in self.needs:
            checks.append(f"assert {fn}.__annotations__, 'type hints are required'")
        if "ops" in self.needs:
            checks.append(f"assert isinstance({fn}({SAMPLE}), tuple) and isinstance({fn}({SAMPLE})[1], int)")
        if "iterable" in self.needs:
            cases.append({"call": f"{fn}(iter({SAMPLE})){get}", "expected": value})
        if "fast" in self.needs:
            suffix, big = BIG_CHECK[self.family]
            cases.append({"call": f"{fn}({BIG}){get}{suffix}", "expected": big})
        return cases, checks

    def _js_tests(self, prompt: str, rates: Rates) -> str:
        fn = "helperCheck" if roll(prompt, "tests_broken", rates.tests_broken) else self.name
        value = "[0]" if roll(prompt, "tests_wrong", rates.tests_wrong) else JS_EXPECTED[self.family]
        out = ['const assert = require("assert");', f"assert.deepStrictEqual({fn}({SAMPLE}), {value});",
               f"assert.deepStrictEqual({fn}([]), []);"]
        if "validate" in self.needs:
            out.append(f"assert.throws(() => {fn}(null));")
        return "\n".join(out) + "\n"
