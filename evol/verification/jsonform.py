"""Comparing a non-Python answer's decoded value with an expected value written as JSON, which has no tuple, set
or non-string key: a tuple agrees with a list of the same items, a set with a list holding each member once
(any order), a dict's keys are compared in JSON's text form (1 -> "1", True -> "true"). Floats keep the case's
tolerance; everything else is Python == on plain builtins."""

from __future__ import annotations

import json
from typing import Any

from evol.verification.cases import tolerant_equal


def key_text(key: Any) -> str:
    """A dict key as JSON writes object keys."""
    if type(key) is str:
        return key
    if type(key) in (bool, int, float) or key is None:
        return json.dumps(key)
    return json.dumps(plain(key), sort_keys=True)


def plain(value: Any) -> Any:
    """`value` in JSON's vocabulary: tuples -> lists, sets -> lists in a fixed order, keys -> text."""
    if type(value) in (list, tuple):
        return [plain(v) for v in value]
    if type(value) in (set, frozenset):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if type(value) is dict:
        return {key_text(k): plain(v) for k, v in value.items()}
    return value


def agree(actual: Any, expected: Any, tolerance: float | None = None) -> bool:
    """Whether a decoded value matches a JSON-parsed expected value (see the module doc)."""
    if type(actual) in (set, frozenset):
        if type(expected) is not list:
            return False
        ordered = sorted(expected, key=lambda v: json.dumps(plain(v), sort_keys=True))
        return len(ordered) == len(actual) and agree(plain(actual), ordered, tolerance)
    if type(actual) in (list, tuple):
        return type(expected) is list and len(actual) == len(expected) and all(
            agree(a, e, tolerance) for a, e in zip(actual, expected, strict=True))
    if type(actual) is dict:
        if type(expected) is not dict:
            return False
        keyed = {key_text(k): v for k, v in actual.items()}
        return len(keyed) == len(actual) and keyed.keys() == expected.keys() and all(
            agree(keyed[k], expected[k], tolerance) for k in expected)
    if type(expected) in (list, dict):
        return False
    return tolerant_equal(actual, expected, tolerance)
