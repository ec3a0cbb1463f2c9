"""Terminal views (rich): the funnel and totals tables of `evol stats`, the lineage tree of `evol show`."""

from __future__ import annotations

import os
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from evol.pricing import Price, cost_text, fmt_dollars, round_cost, tokens_text
from evol.records import Record
from evol.report.funnel import funnel_table as progress_funnel
from evol.report.lineage import Lineage, outcome
from evol.report.metrics import record_tokens
from evol.report.rundata import RunData
from evol.report.totals import run_totals

SNIPPET = 90


def funnel_table(run: RunData, price: Price | None) -> Table:
    return progress_funnel(run.stats, f"{run.name}: funnel per round",
                           ("cost", lambda st: fmt_dollars(round_cost(st, price))), box=box.SIMPLE_HEAD,
                           padding=(0, 1))


def totals_table(totals: dict[str, Any]) -> Table:
    table = Table(title="totals", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    cost = cost_text(totals["cost"], totals["price_model"],
                     "no price for this model; try --prices pipelines/wizardcoder.toml")
    api = totals["api"]
    rows = [
        ("status", totals["status"] + ("  (SYNTHETIC: simulated endpoint)" if totals["simulated"] else "")),
        ("teacher model", f"{totals['model']} (config: {totals['configured_model']})"),
        ("rounds", str(totals["rounds"])), ("seeds", str(totals["seeds"])),
        ("kept rows", f"{totals['kept']} ({totals['kept'] - totals['evolved_kept']} seeds + "
                      f"{totals['evolved_kept']} evolved)"),
        ("rejected", ", ".join(f"{k} {v}" for k, v in totals["rejected_by_stage"].items()) or "none"),
        ("top reasons", ", ".join(f"{k} {v}" for k, v in list(totals["reasons"].items())[:6]) or "none"),
        ("methods kept/drawn", ", ".join(f"{m} {totals['methods_kept'].get(m, 0)}/{n}"
                                         for m, n in totals["methods"].items()) or "none"),
        ("tokens", tokens_text(totals["prompt_tokens"], totals["completion_tokens"], totals["reasoning_tokens"])),
        ("cost", cost),
        ("API calls", f"{api.get('calls', 0):,} ({api.get('cached', 0):,} from cache, "
                      f"{api.get('failures', 0):,} failed, {api.get('attempts', 0):,} attempts; last process only)"),
        ("wall time", f"{totals['seconds'] or 0:,.1f} s"), ("config digest", str(totals["config_digest"])),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def stats_view(run: RunData, price: Price | None) -> Group:
    parts: list[RenderableType] = [Text(w, style="bold red") for w in run.warnings]
    parts += [funnel_table(run, price), totals_table(run_totals(run, price))]
    return Group(*parts)


def _snippet(record: Record, parent: Record | None) -> str:
    """The start of the instruction; for a child that extends its parent's text, what it added."""
    text = " ".join((record.get("instruction") or "").split())
    before = " ".join((parent or {}).get("instruction", "").split()) if parent else ""
    shared = len(os.path.commonprefix([text, before])) if before else 0
    if before and shared >= 0.6 * len(before) and shared < len(text):
        text = "+ …" + text[shared:]
    return text[:SNIPPET] + "…" if len(text) > SNIPPET else text


def _label(record: Record, on_path: bool, target: bool, parent: Record | None = None) -> Text:
    status = outcome(record)
    text = Text()
    text.append(f"round {record.get('round')} ", style="bold" if on_path else "")
    text.append(f"{record.get('method')}", style="cyan")
    text.append(f" · {record.get('model') or '—'} · {record_tokens(record):,} tok · ")
    text.append(status, style="green" if status == "kept" else "red")
    text.append(f" · {record.get('id')}", style="dim")
    if target:
        text.append("  ◀", style="bold yellow")
    text.append("\n" + _snippet(record, parent), style="" if on_path else "dim")
    return text


def lineage_view(run: RunData, ident: str, max_chars: int = 1500, family: bool = True) -> Group:
    """The family tree of a record's seed (or just its chain), then the record's full text."""
    lineage = Lineage(run.by_id)
    record = lineage.resolve(ident)
    chain = lineage.chain(record)
    on_path = {r.get("id") for r in chain}
    root = chain[0]
    tree = Tree(_label(root, True, root is record), guide_style="dim")

    def grow(node: Tree, parent: Record) -> None:
        kids = lineage.children.get(str(parent.get("id")), [])
        for kid in kids if family else [k for k in kids if k.get("id") in on_path]:
            grow(node.add(_label(kid, kid.get("id") in on_path, kid is record, parent)), kid)

    grow(tree, root)
    body = Text()
    body.append("instruction\n", style="bold")
    body.append(_clip(record.get("instruction"), max_chars) + "\n\n")
    body.append("output\n", style="bold")
    body.append(_clip(record.get("output"), max_chars) if record.get("output") else "(none)")
    usage = ", ".join(f"{stage} {u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)}"
                      for stage, u in (record.get("usage") or {}).items()) or "none"
    title = f"{record.get('id')} · round {record.get('round')} · {outcome(record)} · tokens {usage}"
    parts: list[RenderableType] = [Text(w, style="bold red") for w in run.warnings]
    parts += [tree, Panel(body, title=title, title_align="left")]
    return Group(*parts)


def _clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if limit <= 0 or len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"
