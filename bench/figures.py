"""Figures in README.md and docs/*.md, each tied to the results key it was read from.

A measured figure is written with a marker right after it: ``2.82 s<!--fig:eval.json:canonical.wall_s-->``.
The marker names a file under ``bench/results/`` and a key path in it: dotted keys and list indices
(``peers.rows.0.wall_s``), or ``field=value`` to pick the list element whose field equals the value
(``peers.rows.tool=evol,latency_s=0.5.wall_s``). ``fig%`` shows a fraction as a percentage. A number that is a
setting or an input, not a measurement, says so with ``<!--set-->``.

``python -m bench.figures`` checks every figure (exit 1 and one line per problem); ``--update`` rewrites each
marked number from its key, keeping the decimals shown; ``--graph``-free, stdlib only.
A figure is a number with a unit or a ratio sign (``3.2 s``, ``×1.26``, ``17.0×``, ``45%``, ``1,170 items/s``)
outside code, or any number in a table row that has a marker.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
NUMBER = r"[×x]?-?\d[\d,]*(?:\.\d+)?"
MARKER = re.compile(rf"({NUMBER})((?:\s?(?:×|%|[A-Za-z/]+))?)\**<!--(fig%?):([\w.-]+\.json):([^>]+?)-->")
SETTING = re.compile(rf"{NUMBER}[^<\n|]{{0,12}}<!--set-->")
UNIT = r"(?:×|x\b|%|\s?(?:ms|s|MB|MiB|GB|GiB|KB|items/s|docs/s|tok/s|tokens/s|programs/s|req/s)\b)"
CANDIDATE = re.compile(rf"(?<![\w.\-/=:#])(?:×\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?{UNIT})")
CODE = re.compile(r"```.*?```|`[^`\n]*`|<!--.*?-->|\[[^\]]*\]\([^)]*\)|https?://\S+", re.S)


@dataclass(frozen=True)
class Problem:
    """One figure that does not match its key, or has none."""

    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}: {self.text}"


def docs(repo: Path = REPO) -> list[Path]:
    """The files whose figures are checked."""
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def lookup(data: Any, key: str) -> Any:
    """The value at a key path (see the module docstring); KeyError when it is not there."""
    node = data
    for part in _split(key):
        if isinstance(node, list) and "=" in part:
            wanted = dict(p.split("=", 1) for p in part.split(","))
            matches = [x for x in node if isinstance(x, dict) and all(_same(x.get(k), v) for k, v in wanted.items())]
            if len(matches) != 1:
                raise KeyError(f"{part!r} matches {len(matches)} elements")
            node = matches[0]
        elif isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(part)
    return node


def _split(key: str) -> list[str]:
    """Dots separate parts, except inside a `field=value` part's value (``latency_s=0.5``)."""
    parts: list[str] = []
    for piece in key.split("."):
        if parts and "=" in parts[-1] and re.fullmatch(r"\d+", piece) and re.search(r"=-?\d+$", parts[-1]):
            parts[-1] += "." + piece
        else:
            parts.append(piece)
    return parts


def _same(value: Any, text: str) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return str(value) == text


def shown(number: str) -> tuple[float, int]:
    """A written number's value and its decimals (``1,170.4`` -> (1170.4, 1))."""
    digits = number.lstrip("×x").replace(",", "")
    return float(digits), len(digits.split(".")[1]) if "." in digits else 0


def render(value: float, like: str) -> str:
    """`value` written as `like` is (its decimals, thousands commas, a leading ×)."""
    _, decimals = shown(like)
    text = f"{value:,.{decimals}f}" if "," in like else f"{value:.{decimals}f}"
    return ("×" if like.startswith("×") else "x" if like.startswith("x") else "") + text


def _value(kind: str, file: str, key: str, cache: dict[str, Any]) -> float:
    if file not in cache:
        cache[file] = json.loads((RESULTS / file).read_text())
    value = lookup(cache[file], key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeyError(f"{key} is not a number ({value!r})")
    return value * 100 if kind == "fig%" else value


def check_text(path: Path, text: str, cache: dict[str, Any] | None = None) -> list[Problem]:
    """Every problem with the figures of one document."""
    cache = {} if cache is None else cache
    problems = []
    for no, line in enumerate(_prose_lines(text), 1):
        for m in MARKER.finditer(line):
            number, _, kind, file, key = m.groups()
            try:
                value = _value(kind, file, key, cache)
            except (KeyError, IndexError, ValueError, FileNotFoundError) as exc:
                problems.append(Problem(path, no, f"{number}: no key {file}:{key} ({exc})"))
                continue
            if render(value, number).lstrip("×x") != number.lstrip("×x"):
                problems.append(Problem(path, no, f"{number} differs from {file}:{key} = {value}"))
        bare = CODE.sub(" ", MARKER.sub(" ", SETTING.sub(" ", line)))
        for m in CANDIDATE.finditer(bare):
            problems.append(Problem(path, no, f"{m.group(0).strip()}: a figure with no results key"))
        if line.lstrip().startswith("|") and "<!--fig" in line:
            for cell in bare.split("|"):
                if re.fullmatch(r"\s*\**-?\d[\d,]*(?:\.\d+)?\**\s*", cell):
                    problems.append(Problem(path, no, f"{cell.strip()}: a table figure with no results key"))
    return problems


def _prose_lines(text: str) -> list[str]:
    """The document's lines with fenced code blanked (line numbers kept)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return out


def update_text(text: str, cache: dict[str, Any] | None = None) -> str:
    """The document with every marked number rewritten from its key."""
    cache = {} if cache is None else cache

    def fresh(m: re.Match[str]) -> str:
        number, unit, kind, file, key = m.groups()
        value = _value(kind, file, key, cache)
        return m.group(0).replace(number, render(value, number), 1)

    return MARKER.sub(fresh, text)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--update" in args:
        for path in docs():
            text = path.read_text(encoding="utf-8")
            new = update_text(text)
            if new != text:
                path.write_text(new, encoding="utf-8")
                print(f"updated {path.relative_to(REPO)}")
    problems = [p for path in docs() for p in check_text(path, path.read_text(encoding="utf-8"))]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
