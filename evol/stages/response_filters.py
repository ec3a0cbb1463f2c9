"""Response filters: keep an answer only if it is a real, complete answer with code that parses."""

from __future__ import annotations

import re

import evol.pyparse as pyparse
from evol.config import FilterSettings
from evol.sandbox.settings import SandboxSettings, build_sandbox
from evol.stages.custom import load_rules
from evol.stages.rules import Record, Rule, register, without
from evol.text import STOP_WORDS, code_blocks, words


@register
class EmptyAnswer(Rule):
    name = "empty_answer"

    def check(self, record: Record) -> str | None:
        return self.name if not (record.get("output") or "").strip() else None


@register
class Truncated(Rule):
    """The endpoint stopped at max_tokens (finish_reason == "length")."""

    name = "truncated"

    def check(self, record: Record) -> str | None:
        return self.name if record.get("finish_reason") == "length" else None


@register
class Refusal(Rule):
    """A short answer that apologizes or refuses ("sorry", "as an AI", ...)."""

    name = "refusal"

    def __init__(self, phrases: list[str], max_words: int) -> None:
        self.pattern = re.compile("|".join(re.escape(p.lower()) for p in phrases))
        self.max_words = max_words

    def check(self, record: Record) -> str | None:
        text = (record.get("output") or "").lower().replace("\u2019", "'")
        return self.name if len(words(text)) < self.max_words and self.pattern.search(text) else None


@register
class StopWordsOnly(Rule):
    """Nothing but punctuation and stop words."""

    name = "stopwords_only"

    def check(self, record: Record) -> str | None:
        return self.name if all(w in STOP_WORDS for w in words(record.get("output") or "")) else None


@register
class BrokenPython(Rule):
    """A ```python block that does not parse."""

    name = "broken_code"

    def check(self, record: Record) -> str | None:
        for lang, code in code_blocks(record.get("output") or ""):
            if lang in ("python", "py", "python3"):
                try:
                    pyparse.parse(code)
                except (SyntaxError, ValueError):
                    return self.name
        return None


def response_rules(cfg: FilterSettings, sandbox: SandboxSettings | None = None) -> list[Rule]:
    """The answer rules in the order they are checked, less `cfg.skip`, then the config's own (`filters.custom`);
    code runs on `sandbox`'s backend."""
    rules: list[Rule] = [EmptyAnswer(), Truncated(), Refusal(cfg.refusal_phrases, cfg.refusal_max_words),
                         StopWordsOnly()]
    if cfg.check_python_syntax:
        rules.append(BrokenPython())
    if cfg.execute_code:
        from evol.stages.exec_filter import ExecutionFilter

        rules.append(ExecutionFilter(sandbox=build_sandbox(sandbox) if sandbox else None))
    return without(rules, cfg.skip, "filters") + load_rules(cfg.custom, "filters.custom")
