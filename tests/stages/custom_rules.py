"""Rules that tests name by dotted path (eliminate.custom / filters.custom), as a user's package would."""

from __future__ import annotations

from evol.stages.rules import Record, Rule

NOT_A_RULE = 42


def odd_length(record: Record) -> str | None:
    """An elimination rule as a plain function: drops instructions of odd length."""
    return "custom_odd_length" if len(record["instruction"]) % 2 else None


class EvenWords(Rule):
    """A response rule as a Rule subclass: drops answers with an even number of words."""

    name = "even_words"

    def check(self, record: Record) -> str | None:
        return "custom_even_words" if len((record.get("output") or "").split()) % 2 == 0 else None
