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


def without(rules: list[Rule], skip: list[str], section: str) -> list[Rule]:
    """`rules` minus those named in the config's `skip` list; an unknown name is a ConfigError."""
    from evol.errors import ConfigError

    unknown = sorted(set(skip) - set(RULES))
    if unknown:
        raise ConfigError(f"{section}.skip: unknown rule(s) {unknown}; known: {sorted(RULES)}")
    return [rule for rule in rules if rule.name not in skip]


def first_failure(rules: list[Rule], record: Record) -> str | None:
    """The reason given by the first rule that drops the record, or None when all keep it."""
    for rule in rules:
        why = rule.check(record)
        if why is not None:
            return why
    return None
