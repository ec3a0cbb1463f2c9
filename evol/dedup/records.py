"""Turning records into the text that dedup and decontamination compare."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from evol.errors import DataError


def field_text(value: Any) -> str:
    """A field's value as text: None or missing is empty; non-strings are JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def record_text(record: dict[str, Any], fields: Sequence[str]) -> str:
    """The configured fields of a record joined by newlines (missing fields count as empty)."""
    if len(fields) == 1:
        return field_text(record.get(fields[0]))
    return "\n".join(field_text(record.get(f)) for f in fields)


def record_id(record: dict[str, Any], position: int) -> str:
    """A record's id as a string; a DataError naming the position when it has none."""
    rid = record.get("id")
    if rid is None or rid == "":
        raise DataError(f"record {position} has no 'id' field")
    return str(rid)
