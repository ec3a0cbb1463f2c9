"""The code of an answer that verification runs: its fenced blocks in one language, joined in order."""

from __future__ import annotations

from evol.sandbox.runners import canonical_language
from evol.text import code_blocks

# Fences that hold no program (sample output, data, prose).
NOT_CODE = frozenset({"text", "txt", "output", "console", "plaintext", "json", "yaml", "yml", "markdown", "md",
                      "csv", "xml", "html", "diff", "log"})


def language_of(tag: str | None) -> str | None:
    """The canonical language for a fence tag or seed `lang` (the sandbox's runner names; None when unknown)."""
    return canonical_language(tag or "")


def answer_code(output: str, hint: str | None = None) -> tuple[str | None, str | None]:
    """(language, code) of an answer: the blocks of its main language (the one with the most code; untagged
    blocks count as `hint`, else Python), joined in order. (None, None) when the answer has no code block."""
    default = language_of(hint) or "python"
    blocks = [(language_of(tag) or (default if not tag else tag), code)
              for tag, code in code_blocks(output or "") if code.strip() and tag not in NOT_CODE]
    if not blocks:
        return None, None
    size: dict[str, int] = {}
    for lang, code in blocks:
        size[lang] = size.get(lang, 0) + len(code)
    language = max(size, key=lambda lang: (size[lang], -next(i for i, b in enumerate(blocks) if b[0] == lang)))
    chosen = [code for lang, code in blocks if lang == language]
    return language, "\n\n".join(c.rstrip() for c in chosen) + "\n"
