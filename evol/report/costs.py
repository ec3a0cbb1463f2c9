"""Pricing for the report layer: the functions live in evol.pricing (the closing table of `evol run` uses them
too, and the pipeline must not import the report)."""

from evol.pricing import (  # noqa: F401
    TOKEN_KINDS,
    Price,
    cost_summary,
    cost_text,
    fmt_dollars,
    load_prices,
    pick_price,
    round_cost,
    round_tokens,
    run_price,
    run_tokens,
    tokens_text,
)
