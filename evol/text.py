"""Small text helpers shared by the stages, verification and the report: word counts, code blocks, normalization."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
WORD = re.compile(r"\w+", re.UNICODE)

STOP_WORDS = frozenset(
    "a an the and or but if then else of to in on at by for with from as is are was were be been being it "
    "its this that these those i you he she we they me him her us them my your our their not no yes so do "
    "does did done have has had can could will would shall should may might must ok okay sure here there "
    "what which who whom how why when where all any some".split()
)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def normalize(text: str) -> str:
    """Lower-cased words joined by single spaces: equal for texts that differ only in case, space, punctuation."""
    return " ".join(words(text))


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) for each fenced block; an unclosed last fence counts as a block."""
    return [(m.group(1).lower(), m.group(2)) for m in FENCE.finditer(text)]


def has_code_block(text: str) -> bool:
    return "```" in text


def json_replies(text: str) -> Iterator[Any]:
    """The JSON a model's reply holds: the whole text, then each fenced json (or untagged) block, as parsed."""
    for candidate in [text] + [code for tag, code in code_blocks(text) if tag in ("json", "")]:
        try:
            yield json.loads(candidate)
        except (ValueError, RecursionError):
            continue
