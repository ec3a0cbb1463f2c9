"""Reading brace languages (C++, Java, Rust) just enough to qualify a case's bare call: comments and literals
blanked, brace depths, and the top-level types or impl blocks that declare a name."""

from __future__ import annotations

import re
from collections.abc import Iterator

CHAR = re.compile(r"'(?:\\[^'\n]{1,10}|[^\\'\n])'")


def masked(src: str) -> str:
    """`src` with comments, string/char literals and text blocks blanked (same length, newlines kept)."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        two, c = src[i:i + 2], src[i]
        if two == "//":
            end = src.find("\n", i)
            end = n if end < 0 else end
        elif two == "/*":
            end = src.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif src.startswith('"""', i):
            end = src.find('"""', i + 3)
            end = n if end < 0 else end + 3
        elif c == "'":
            char = CHAR.match(src, i)
            if char is None:  # a Rust lifetime or a C++ digit separator
                i += 1
                continue
            end = char.end()
        elif c == '"':
            end = i + 1
            while end < n and src[end] != c and src[end] != "\n":
                end += 2 if src[end] == "\\" else 1
            end = min(end + 1, n)
        else:
            i += 1
            continue
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end
    return "".join(out)


def depths(text: str) -> list[int]:
    """The brace depth at each character of masked text."""
    depth, found = 0, []
    for c in text:
        if c == "}":
            depth -= 1
        found.append(depth)
        if c == "{":
            depth += 1
    return found


def shallow(text: str, depths: list[int], level: int) -> str:
    """`text` with everything deeper than `level` blanked."""
    return "".join(c if d <= level or c == "\n" else " " for c, d in zip(text, depths, strict=True))


def bodies(code: str, opener: str) -> Iterator[tuple[str, str, str]]:
    """(name, body at its own depth only, everything at depth 0) for each top-level block whose head matches
    `opener` (a regex whose group 1 is the name, ending at the block's `{`)."""
    text = masked(code)
    levels = depths(text)
    top = shallow(text, levels, 0)
    for decl in re.finditer(opener, top):
        start = decl.end()
        end = next((k for k in range(start, len(text)) if levels[k] == 0 and text[k] == "}"), len(text))
        yield decl.group(1), shallow(text[start:end], levels[start:end], 1), top
