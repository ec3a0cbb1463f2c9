"""How the simulator marks itself, so that data made with it is never taken for a real teacher's.

Every reply carries the header SYNTHETIC_HEADER, and each model /v1/models lists has `"synthetic": true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SYNTHETIC_HEADER = "X-Evol-Synthetic"


def is_synthetic(headers: Mapping[str, str], models_body: Any = None) -> bool:
    """Whether a reply (its headers, and for /v1/models its JSON body) comes from the simulator."""
    if str(headers.get(SYNTHETIC_HEADER, "")).lower() == "true":
        return True
    data = models_body.get("data") if isinstance(models_body, dict) else None
    return isinstance(data, list) and any(isinstance(m, dict) and m.get("synthetic") is True for m in data)
