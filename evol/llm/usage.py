"""The usage ledger: calls, cache hits, attempts, failures and tokens per stage, round and endpoint."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

FIELDS = ("calls", "cached", "attempts", "failures", "prompt_tokens", "completion_tokens", "cached_tokens",
          "reasoning_tokens")  # reasoning tokens are a part of the completion tokens


class UsageLedger:
    """calls: answers paid for; cached: answers from the cache; attempts: HTTP requests sent (retries
    included); failures: requests that failed for good; errors: failed attempts by kind."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        self._errors: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)

    def add(self, stage: str, round_no: int | None, endpoint: str, **counts: int) -> None:
        row = self._rows[(stage, "" if round_no is None else str(round_no), endpoint)]
        for name, value in counts.items():
            row[name] += value

    def error(self, stage: str, round_no: int | None, endpoint: str, kind: str) -> None:
        """Count one failed attempt of `kind` (rate_limit, server_error, connection, ...)."""
        self._errors[(stage, "" if round_no is None else str(round_no), endpoint)][kind] += 1
        self.add(stage, round_no, endpoint, attempts=1)

    def rows(self) -> list[dict[str, Any]]:
        keys = sorted(set(self._rows) | set(self._errors))
        return [{"stage": s, "round": r, "endpoint": e, **self._rows[(s, r, e)],
                 "errors": dict(sorted(self._errors.get((s, r, e), Counter()).items()))} for s, r, e in keys]

    def totals(self, *, round_no: int | None = None, stage: str | None = None,
               endpoint: str | None = None) -> dict[str, Any]:
        """Sums over the rows that match; `errors` sums the failed attempts by kind."""
        out: dict[str, Any] = dict.fromkeys(FIELDS, 0)
        errors: Counter[str] = Counter()
        for (s, r, e), v in list(self._rows.items()):
            if (round_no is None or r == str(round_no)) and (stage is None or s == stage) and (
                    endpoint is None or e == endpoint):
                for k in FIELDS:
                    out[k] += v[k]
                errors.update(self._errors.get((s, r, e), Counter()))
        out["errors"] = dict(sorted(errors.items()))
        return out

    def by_stage(self, round_no: int | None = None) -> dict[str, dict[str, Any]]:
        """{stage: totals} (for a round's stats.json, say)."""
        stages = sorted({s for s, r, _ in self._rows if round_no is None or r == str(round_no)})
        return {s: self.totals(round_no=round_no, stage=s) for s in stages}


def cost(usage: dict[str, Any], price: dict[str, float] | None, *, batch: bool = False) -> float | None:
    """Dollars for a usage total at a price of $ per 1M tokens (None without a price).

    price: {"input", "output", optional "cached_input" (default: input), optional "batch_discount"
    (default 0.5, applied when batch=True)}. Cached prompt tokens are billed at cached_input.
    """
    if not price:
        return None
    prompt = usage.get("prompt_tokens", 0)
    cached = min(prompt, usage.get("cached_tokens", 0) or 0)
    dollars = ((prompt - cached) * price.get("input", 0.0) + cached * price.get("cached_input", price.get("input", 0.0))
               + usage.get("completion_tokens", 0) * price.get("output", 0.0)) / 1e6
    return dollars * (price.get("batch_discount", 0.5) if batch else 1.0)
