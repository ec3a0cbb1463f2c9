"""Elimination of failed evolutions (WizardLM): rules over the evolved instruction and its parent.

Each record reaching these rules has `instruction` (evolved) and `parent_instruction`.
"""

from __future__ import annotations

from evol.config import EliminateSettings
from evol.stages.context import Item, ItemContext, Reject
from evol.stages.custom import load_rules
from evol.stages.rules import Record, Rule, first_failure, register, without
from evol.text import has_code_block, normalize, words


@register
class EmptyEvolution(Rule):
    name = "empty_evolution"

    def check(self, record: Record) -> str | None:
        return self.name if not record["instruction"].strip() else None


@register
class CopiedPromptWords(Rule):
    """The evolved text copies words of the evolving prompt ("#Rewritten Prompt#", "given prompt", ...)."""

    name = "copied_prompt_words"

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = [p.lower() for p in phrases]

    def check(self, record: Record) -> str | None:
        low = record["instruction"].lower()
        return self.name if any(p in low for p in self.phrases) else None


@register
class Length(Rule):
    name = "length"

    def __init__(self, min_words: int, max_words: int) -> None:
        self.min_words, self.max_words = min_words, max_words

    def check(self, record: Record) -> str | None:
        n = len(words(record["instruction"]))
        if n < self.min_words:
            return "too_short"
        if n > self.max_words:
            return "too_long"
        return None


@register
class NoInformationGain(Rule):
    """Unchanged, or (with `word_subset`) every word of the evolved text was already in its parent.

    With verification on, the word-subset test is left to execution (the gain stage) and only the
    unchanged test stays here.
    """

    name = "no_information_gain"

    def __init__(self, word_subset: bool = True) -> None:
        self.word_subset = word_subset

    def check(self, record: Record) -> str | None:
        child, parent = record["instruction"], record.get("parent_instruction") or ""
        if normalize(child) == normalize(parent):
            return self.name
        return self.name if self.word_subset and set(words(child)) <= set(words(parent)) else None


@register
class LostCodeBlock(Rule):
    """The parent carried a code block and the evolved text dropped it."""

    name = "lost_code_block"

    def check(self, record: Record) -> str | None:
        parent = record.get("parent_instruction") or ""
        return self.name if has_code_block(parent) and not has_code_block(record["instruction"]) else None


def elimination_rules(cfg: EliminateSettings, tested_gain: bool = False) -> list[Rule]:
    """The rules in the order they are checked (cheapest and most specific first), less `cfg.skip`, then
    the config's own rules (`eliminate.custom`).

    `tested_gain`: verification judges information gain by execution, so the word-subset test is off.
    """
    rules = [EmptyEvolution(), CopiedPromptWords(cfg.copy_phrases), Length(cfg.min_words, cfg.max_words),
             NoInformationGain(word_subset=not tested_gain), LostCodeBlock()]
    return without(rules, cfg.skip, "eliminate") + load_rules(cfg.custom, "eliminate.custom")


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    """The elimination stage: the first rule that drops the evolved instruction names the reason."""
    why = first_failure(ctx.elimination, {**item.record, "parent_instruction": item.parent["instruction"]})
    return None if why is None else Reject(why)
