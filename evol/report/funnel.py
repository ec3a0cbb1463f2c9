"""The funnel per round as a Rich table: `evol run`'s closing table and `evol stats`'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.table import Table

from evol.stages.table import short_labels, shown_funnel, tokens_total


def funnel_table(all_stats: list[dict[str, Any]], title: str = "evol run: funnel per round",
                 last: tuple[str, Callable[[dict[str, Any]], str]] = ("s", lambda st: f"{st['seconds']:.1f}"),
                 **table_options: Any) -> Table:
    """The funnel per round (one row a round) with tokens and a last column (seconds, or cost).

    An unfinished round's items that wait for the endpoint show in a `pending` column, apart from the rejected.
    """
    table = Table(title=title, **table_options)
    columns, short = shown_funnel(all_stats), short_labels(all_stats)
    if any(st.get("pending") for st in all_stats):
        columns = [*columns, ("pending", "pending")]
    for label in ("round", *(short.get(label, label) for _, label in columns), "tokens", last[0]):
        table.add_column(label, justify="right", no_wrap=True)
    for st in all_stats:
        tokens = tokens_total(st)
        table.add_row(str(st["round"]), *(str(st.get(k, 0)) for k, _ in columns), f"{tokens:,}", last[1](st))
    return table
