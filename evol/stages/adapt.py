"""Adaptive method mix: the next round draws methods in proportion to their measured yield so far.

Yield of a method = (kept + 1) / (evolved + 2) over the previous evolution rounds (Laplace-smoothed, so a
method seen rarely is neither killed nor crowned by chance). New weight = configured weight x yield,
normalised; every method with a configured weight keeps at least `floor` of the mix. A pure function of the
stats on disk, so a resumed run draws exactly what the first attempt drew.
"""

from __future__ import annotations

from typing import Any


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {m: round(w / total, 6) for m, w in weights.items()}


def adapted_weights(configured: dict[str, float], history: list[dict[str, Any]], floor: float) -> dict[str, float]:
    """The method mix for the next round, from the configured weights and earlier rounds' `by_method` stats."""
    kept: dict[str, int] = dict.fromkeys(configured, 0)
    evolved: dict[str, int] = dict.fromkeys(configured, 0)
    for stats in history:
        for method, counts in (stats.get("by_method") or {}).items():
            if method in configured:
                kept[method] += counts.get("kept", 0)
                evolved[method] += counts.get("evolved", 0)
    raw = {m: w * (kept[m] + 1) / (evolved[m] + 2) for m, w in configured.items()}
    shares = normalised(raw) if sum(raw.values()) > 0 else normalised(configured)
    live = [m for m, w in configured.items() if w > 0]
    if floor * len(live) >= 1:
        return normalised(dict.fromkeys(live, 1.0) | {m: 0.0 for m in configured if m not in live})
    low = {m for m in live if shares[m] < floor}
    rest = sum(shares[m] for m in live if m not in low)
    budget = 1 - floor * len(low)
    out = {m: (floor if m in low else shares[m] * budget / rest if rest else 0.0) for m in configured}
    return {m: round(v, 6) for m, v in out.items()}
