"""Whole-run totals: rows, rejections, methods, tokens, cost and API calls (for `evol stats` and the card)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from evol.pricing import TOKEN_KINDS, Price, round_cost, round_tokens
from evol.report.rundata import RunData

LEDGER_FIELDS = ("calls", "cached", "attempts", "failures")


def run_totals(run: RunData, price: Price | None = None) -> dict[str, Any]:
    """One flat summary of the run (JSON-serialisable)."""
    stats = run.stats
    by_stage: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    methods_kept: Counter[str] = Counter()
    tokens: dict[str, dict[str, int]] = {}
    for st in stats:
        by_stage.update(st.get("rejected_by_stage", {}))
        reasons.update(st.get("reasons", {}))
        if st["round"] > 0:
            methods.update(st.get("methods", {}))
            methods_kept.update(st.get("methods_kept", {}))
        for stage, usage in round_tokens(st).items():
            acc = tokens.setdefault(stage, dict.fromkeys(TOKEN_KINDS, 0))
            for kind, n in usage.items():
                acc[kind] += n
    ledger = Counter[str]()
    for row in run.manifest.get("usage", []):
        ledger.update({k: int(row.get(k, 0)) for k in LEDGER_FIELDS})
    costs = [round_cost(st, price) for st in stats]
    return {
        "run": str(run.path), "name": run.name, "status": run.status, "simulated": run.simulated,
        "model": run.model, "configured_model": run.configured_model,
        "config_digest": run.manifest.get("config_digest"), "rounds": len(stats) - 1,
        "seeds": stats[0]["pool"], "kept": sum(st["kept"] for st in stats),
        "kept_per_round": {st["round"]: st["kept"] for st in stats},
        "evolved_kept": sum(st["kept"] for st in stats if st["round"] > 0),
        "rejected": sum(by_stage.values()), "rejected_by_stage": dict(sorted(by_stage.items())),
        "reasons": dict(reasons.most_common()), "methods": dict(sorted(methods.items())),
        "methods_kept": dict(sorted(methods_kept.items())), "tokens": tokens,
        "prompt_tokens": sum(t["prompt_tokens"] for t in tokens.values()),
        "completion_tokens": sum(t["completion_tokens"] for t in tokens.values()),
        "reasoning_tokens": sum(t["reasoning_tokens"] for t in tokens.values()),
        "price_model": price.model if price else None,
        "cost": sum(c for c in costs if c is not None) if price else None,
        "api": dict(ledger), "seconds": run.manifest.get("seconds"),
    }
