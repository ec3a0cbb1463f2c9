"""The closing table of `evol run` shows cost: the run's tokens always, dollars where the model has a price."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from evol.pipeline import run
from evol.pricing import Price, closing_price, cost_line, run_tokens
from evol.progress import RichView
from tests.helpers import demo_config

STATS = [{"round": 0, "pool": 2, "kept": 2, "seconds": 1.0,
          "tokens": {"answer_prompt_tokens": 1_000_000, "answer_completion_tokens": 2_000_000}},
         {"round": 1, "pool": 2, "kept": 1, "seconds": 2.0,
          "tokens": {"evolve_prompt_tokens": 500_000, "evolve_completion_tokens": 100_000,
                     "evolve_reasoning_tokens": 40_000}}]
PRICE = Price("gpt-x", input=1.0, output=2.0)  # $ per 1M tokens


def test_the_cost_line_says_tokens_and_dollars_or_why_there_are_none() -> None:
    line = cost_line(STATS, PRICE, "gpt-x", synthetic=False)
    assert line == ("tokens 1,500,000 prompt + 2,100,000 completion (of which 40,000 reasoning) "
                    "· cost $5.70 at gpt-x prices")  # 1.5 * $1 + 2.1 * $2
    assert "n/a (no price for gpt-y: add it to the recipe's [prices] table" in cost_line(STATS, None, "gpt-y", False)
    assert "n/a (simulated endpoint, nothing paid)" in cost_line(STATS, None, "evol-sim", True)


def test_the_served_model_is_priced_first_and_synthetic_data_never() -> None:
    prices = {"served": {"input": 1.0, "output": 2.0}, "configured": {"input": 3.0, "output": 4.0}}
    assert closing_price(prices, "served", "configured", False) == Price("served", 1.0, 2.0)
    assert closing_price(prices, "other", "configured", False) == Price("configured", 3.0, 4.0)
    assert closing_price(prices, "other", "unknown", False) is None
    assert closing_price(prices, "served", "configured", True) is None


def test_a_run_closes_with_its_token_count(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    result = run(demo_config(tmp_path / "run", limit=4, rounds=1), console=console, view=RichView())
    tokens = run_tokens(result.stats)
    assert tokens["prompt_tokens"] > 0
    out = console.export_text()
    assert "funnel per round" in out
    assert f"tokens {tokens['prompt_tokens']:,} prompt + {tokens['completion_tokens']:,} completion" in out
    assert "cost n/a (simulated endpoint, nothing paid)" in out
