"""The usage ledger: calls, cache hits, attempts, failures and tokens per stage, round and endpoint."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

FIELDS = ("calls", "cached", "attempts", "failures", "prompt_tokens", "completion_tokens", "cached_tokens")


class UsageLedger:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(self, stage: str, round_no: int | None, endpoint: str, **counts: int) -> None:
        row = self._rows[(stage, "" if round_no is None else str(round_no), endpoint)]
        for name, value in counts.items():
            row[name] += value

    def rows(self) -> list[dict[str, Any]]:
        return [{"stage": s, "round": r, "endpoint": e, **v} for (s, r, e), v in sorted(self._rows.items())]

    def totals(self, *, round_no: int | None = None, stage: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(FIELDS, 0)
        for (s, r, _), v in self._rows.items():
            if (round_no is None or r == str(round_no)) and (stage is None or s == stage):
                for k in FIELDS:
                    out[k] += v[k]
        return out


def cost(usage: dict[str, int], price: dict[str, float] | None) -> float | None:
    """Dollars for a usage total at a price of $ per 1M input/output tokens (None without a price)."""
    if not price:
        return None
    return (usage.get("prompt_tokens", 0) * price.get("input", 0.0)
            + usage.get("completion_tokens", 0) * price.get("output", 0.0)) / 1e6
