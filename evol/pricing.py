"""Tokens and dollars per round, from the usage recorded on the records (stats.json `tokens`).

Below the pipeline and the report alike: the closing table of `evol run` and `evol stats` price the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evol.config_file import read_toml
from evol.errors import ConfigError
from evol.llm.usage import cost


@dataclass
class Price:
    model: str
    input: float
    output: float

    def as_dict(self) -> dict[str, float]:
        return {"input": self.input, "output": self.output}


def load_prices(path: str | Path) -> dict[str, dict[str, float]]:
    """The [prices] table of a pipeline TOML (model -> {input, output} $ per 1M tokens)."""
    path = Path(path)
    prices = read_toml(path).get("prices", {})
    if not isinstance(prices, dict) or not prices:
        raise ConfigError(f"{path}: no [prices] table (model = {{ input = $/1M, output = $/1M }})")
    return prices


def pick_price(prices: dict[str, Any], *models: str) -> Price | None:
    """The first of `models` that has a price (the served model first, then the configured one)."""
    for model in models:
        entry = prices.get(model)
        if isinstance(entry, dict):
            return Price(model, float(entry.get("input", 0.0)), float(entry.get("output", 0.0)))
    return None


TOKEN_KINDS = ("prompt_tokens", "completion_tokens", "reasoning_tokens")  # reasoning: part of completion


def round_tokens(stats: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{stage: {"prompt_tokens", "completion_tokens", "reasoning_tokens"}} from a round's stats.json `tokens`.

    Reasoning tokens are a part of the completion tokens (billed at the output price, as OpenAI bills
    them): the cost counts them once, through the completion tokens.
    """
    out: dict[str, dict[str, int]] = {}
    for key, value in (stats.get("tokens") or {}).items():
        for kind in TOKEN_KINDS:
            if key.endswith("_" + kind):
                out.setdefault(key.removesuffix("_" + kind), dict.fromkeys(TOKEN_KINDS, 0))[kind] += int(value)
    return out


def round_cost(stats: dict[str, Any], price: Price | None) -> float | None:
    """Dollars for one round at `price` (None without a price)."""
    if price is None:
        return None
    totals = {"prompt_tokens": 0, "completion_tokens": 0}
    for usage in round_tokens(stats).values():
        totals["prompt_tokens"] += usage["prompt_tokens"]
        totals["completion_tokens"] += usage["completion_tokens"]
    return cost(totals, price.as_dict())


def fmt_dollars(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def run_tokens(all_stats: list[dict[str, Any]]) -> dict[str, int]:
    """Prompt, completion and reasoning tokens of every round and stage together."""
    out = dict.fromkeys(TOKEN_KINDS, 0)
    for st in all_stats:
        for usage in round_tokens(st).values():
            for kind, n in usage.items():
                out[kind] += n
    return out


def tokens_text(prompt: int, completion: int, reasoning: int = 0) -> str:
    return (f"{prompt:,} prompt + {completion:,} completion"
            + (f" (of which {reasoning:,} reasoning)" if reasoning else ""))


def cost_text(dollars: float | None, price_model: str | None, missing: str) -> str:
    """Dollars at a named model's prices, or "n/a" and `missing` (why there is no price)."""
    return fmt_dollars(dollars) + (f" at {price_model} prices" if price_model else f" ({missing})")


def cost_summary(all_stats: list[dict[str, Any]], price: Price | None, missing: str) -> str:
    """One line: the run's tokens and, where the model has a price, its dollars."""
    tokens = run_tokens(all_stats)
    dollars = sum(c or 0.0 for c in (round_cost(st, price) for st in all_stats)) if price else None
    return (f"tokens {tokens_text(tokens['prompt_tokens'], tokens['completion_tokens'], tokens['reasoning_tokens'])}"
            f" · cost {cost_text(dollars, price.model if price else None, missing)}")


def closing_price(prices: dict[str, Any], model: str, configured: str, synthetic: bool) -> Price | None:
    """The price of a run's closing line: the served model's, else the configured one's; none for synthetic
    data (the simulator costs nothing)."""
    return None if synthetic else pick_price(prices, model, configured)


def cost_line(all_stats: list[dict[str, Any]], price: Price | None, model: str, synthetic: bool) -> str:
    """The line under `evol run`'s closing table: the run's tokens and, where its model has a price, dollars."""
    missing = ("simulated endpoint, nothing paid" if synthetic
               else f"no price for {model}: add it to the recipe's [prices] table, $ per 1M tokens")
    return cost_summary(all_stats, price, missing)


def run_price(config: dict[str, Any], served_model: str, configured_model: str,
              prices_file: str | Path | None = None) -> Price | None:
    """The price for a run: from `prices_file` when given, else the run's own [prices] table."""
    prices = load_prices(prices_file) if prices_file else (config.get("prices") or {})
    return pick_price(prices, served_model, configured_model)
