"""Which config fields shape the data: the `NotData[...]` marker, and the config's data view built from it.

A field whose type is wrapped in `NotData` (where to send requests, how fast, what things cost, where the
run folder is, how many rounds) may change between two invocations on the same run folder; any other
field shapes the records and a resume with a different value is refused, naming the keys that differ.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class _NotDataMarker:
    """Annotated metadata that marks a config field as not shaping the data."""

    def __repr__(self) -> str:
        return "NotData"


NOT_DATA = _NotDataMarker()
NotData = Annotated[T, NOT_DATA]


def is_data(model: type[BaseModel], field: str) -> bool:
    """False when ``field`` of ``model`` is marked ``NotData``."""
    return not any(m is NOT_DATA for m in model.model_fields[field].metadata)


def data_view(model: BaseModel) -> dict[str, Any]:
    """``model_dump(mode="json")`` without the fields marked ``NotData``, through nested models."""
    dumped = model.model_dump(mode="json")
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        if not is_data(type(model), name):
            continue
        value = getattr(model, name)
        out[name] = data_view(value) if isinstance(value, BaseModel) else dumped[name]
    return out


def digest_of(data: Any) -> str:
    """A short, stable hash of a JSON-able value."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Tables as dotted keys, all the way down: {"evolve": {"methods": {"deepen": 1}}} ->
    {"evolve.methods.deepen": 1}, so a difference names the one value that changed."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update({f"{key}.{sub}": v for sub, v in flatten(value).items()})
        else:
            out[key] = value
    return out


_MISSING = object()


def _show(value: Any) -> str:
    text = "(unset)" if value is _MISSING else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """'key: old -> new' for every dotted key whose value differs (values cut to 40 characters)."""
    a, b = flatten(old), flatten(new)
    return [f"{k}: {_show(a.get(k, _MISSING))} -> {_show(b.get(k, _MISSING))}"
            for k in sorted(a.keys() | b.keys()) if a.get(k, _MISSING) != b.get(k, _MISSING)]
