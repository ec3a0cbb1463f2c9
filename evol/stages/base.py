"""Rule filters as a template method: a rule only says why it drops a record; the pipeline counts and logs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

Record = dict[str, Any]


class Rule(ABC):
    """One keep-or-drop rule. `check` returns None to keep, or a short reason string to drop."""

    name: ClassVar[str]

    @abstractmethod
    def check(self, record: Record) -> str | None: ...


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule available to configs by its `name`."""
    RULES[cls.name] = cls
    return cls


def first_failure(rules: list[Rule], record: Record) -> str | None:
    """The reason given by the first rule that drops the record, or None when all keep it."""
    for rule in rules:
        why = rule.check(record)
        if why is not None:
            return why
    return None
