"""Your own elimination or response rules, named in the config by dotted path (``"mypkg.rules:no_todo"``).

A path may name a `Rule` subclass (built with no arguments), a `Rule` instance, or a plain function
``check(record) -> str | None`` (the rule's name is the function's). Each follows the built-ins' contract:
None keeps the record, a short string drops it and becomes its `reason`. Response rules run in a worker
thread, so they must not touch shared state without a lock.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from evol.errors import ConfigError
from evol.stages.base import Record, Rule


class FunctionRule(Rule):
    """A plain function used as a rule."""

    name = "function"

    def __init__(self, name: str, fn: Callable[[Record], str | None]) -> None:
        self.name, self.fn = name, fn  # type: ignore[misc]

    def check(self, record: Record) -> str | None:
        return self.fn(record)


def resolve(spec: str, key: str) -> Any:
    module_name, sep, attr = spec.partition(":")
    if not (sep and module_name and attr):
        raise ConfigError(f"{key}: {spec!r} is not a dotted path of the form 'package.module:name'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{key}: cannot import {module_name!r} for {spec!r} ({exc})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"{key}: {spec!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def load_rules(specs: list[str], key: str) -> list[Rule]:
    """The rules `specs` name, in order; a path that does not resolve to a rule is a ConfigError naming `key`."""
    rules: list[Rule] = []
    for spec in specs:
        obj = resolve(spec, key)
        if isinstance(obj, type) and issubclass(obj, Rule):
            obj = obj()
        if isinstance(obj, Rule):
            rules.append(obj)
        elif callable(obj):
            rules.append(FunctionRule(getattr(obj, "__name__", spec.rpartition(":")[2]), obj))
        else:
            raise ConfigError(f"{key}: {spec!r} is a {type(obj).__name__}, not a Rule or a function")
    return rules
