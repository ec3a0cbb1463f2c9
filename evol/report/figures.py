"""The report's plots (plotly): one function per figure, each taking plain per-round data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from evol.pricing import Price, round_cost, round_tokens
from evol.records import Record
from evol.report.metrics import difficulty_by_round, lengths
from evol.stages.table import shown_funnel

PALETTE = qualitative.Plotly + qualitative.D3
HEIGHT = 420


@dataclass
class Figure:
    """A plot with its anchor key, heading and a one-paragraph explanation."""

    key: str
    title: str
    note: str
    fig: go.Figure


def _layout(fig: go.Figure, **kwargs: Any) -> go.Figure:
    settings: dict[str, Any] = {"template": "plotly_white", "height": HEIGHT,
                                "legend": {"orientation": "h", "y": -0.15},
                                "margin": {"l": 60, "r": 30, "t": 50, "b": 50}}
    fig.update_layout(**{**settings, **kwargs})
    return fig


def _round_color(n: int) -> str:
    return PALETTE[n % len(PALETTE)]


def funnel(stats: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure()
    columns = shown_funnel(stats)
    for st in stats:
        fig.add_bar(name=f"round {st['round']}", x=[label for _, label in columns],
                    y=[st.get(key, 0) for key, _ in columns], marker_color=_round_color(st["round"]))
    return _layout(fig, barmode="group", yaxis_title="items")


def rejection_reasons(stats: list[dict[str, Any]], rejected: list[list[Record]]) -> go.Figure:
    rounds = [f"round {st['round']}" for st in stats]
    counts = [Counter(f"{r.get('stage', '?')}: {r.get('reason', '?')}" for r in recs) for recs in rejected]
    labels = sorted(set().union(*counts)) if counts else []
    fig = go.Figure()
    for i, label in enumerate(labels):
        fig.add_bar(name=label, x=rounds, y=[c.get(label, 0) for c in counts], marker_color=PALETTE[i % len(PALETTE)])
    if not labels:
        fig.add_annotation(text="nothing was rejected", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return _layout(fig, barmode="stack", yaxis_title="rejected items")


def method_mix(stats: list[dict[str, Any]]) -> go.Figure:
    evolved = [st for st in stats if st["round"] > 0] or stats
    methods = sorted({m for st in evolved for m in st.get("methods", {})})
    fig = make_subplots(rows=1, cols=2, subplot_titles=("methods drawn per round", "share kept per method"))
    for i, method in enumerate(methods):
        fig.add_bar(name=method, x=[f"round {st['round']}" for st in evolved],
                    y=[st.get("methods", {}).get(method, 0) for st in evolved],
                    marker_color=PALETTE[i % len(PALETTE)], legendgroup=method, row=1, col=1)
    tried = Counter[str]()
    kept = Counter[str]()
    for st in evolved:
        tried.update(st.get("methods", {}))
        kept.update(st.get("methods_kept", {}))
    fig.add_bar(x=methods, y=[kept[m] / tried[m] if tried[m] else 0 for m in methods], showlegend=False,
                marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(methods))],
                text=[f"{kept[m]}/{tried[m]}" for m in methods], row=1, col=2)
    fig.update_yaxes(title_text="items", row=1, col=1)
    fig.update_yaxes(title_text="kept / drawn", tickformat=".0%", range=[0, 1.05], row=1, col=2)
    return _layout(fig, barmode="stack")


def length_distributions(kept: list[list[Record]]) -> tuple[go.Figure, dict[str, tuple[int, int]]]:
    """Box plots of words and tokens per round; also {field: (reported token counts, all counts)}."""
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("instruction, words", "output, words", "instruction, tokens",
                                        "output, tokens"))
    provenance: dict[str, tuple[int, int]] = {}
    for col, field in enumerate(("instruction", "output"), start=1):
        reported = total = 0
        for n, records in enumerate(kept):
            got = lengths(records, field)
            reported, total = reported + got.reported, total + len(got.tokens)
            for row, values in ((1, got.words), (2, got.tokens)):
                fig.add_trace(go.Box(y=values, name=f"round {n}", marker_color=_round_color(n), boxmean=True,
                                     showlegend=False), row=row, col=col)
        provenance[field] = (reported, total)
    fig.update_yaxes(title_text="words", row=1, col=1)
    fig.update_yaxes(title_text="tokens", row=2, col=1)
    return _layout(fig, height=2 * HEIGHT - 80), provenance


def difficulty_proxies(kept: list[list[Record]]) -> go.Figure:
    rows = difficulty_by_round(kept)
    x = [f"round {r['round']}" for r in rows]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("instruction length vs. seeds", "constraints per instruction",
                                                        "answers with a code block"))
    fig.add_scatter(x=x, y=[r["length_growth"] for r in rows], mode="lines+markers", name="length growth",
                    text=[f"{r['instruction_words']:.0f} words (n={r['n']})" for r in rows], row=1, col=1)
    fig.add_scatter(x=x, y=[r["constraints"] for r in rows], mode="lines+markers", name="constraints", row=1, col=2)
    fig.add_scatter(x=x, y=[r["code_share"] for r in rows], mode="lines+markers", name="code share", row=1, col=3)
    fig.update_yaxes(title_text="× round-0 words", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], row=1, col=3)
    return _layout(fig, showlegend=False)


def tokens_and_cost(stats: list[dict[str, Any]], price: Price | None) -> go.Figure:
    x = [f"round {st['round']}" for st in stats]
    per_round = [round_tokens(st) for st in stats]
    stages = sorted({s for tokens in per_round for s in tokens})
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    i = 0
    for stage in stages:
        for kind in ("prompt_tokens", "completion_tokens"):
            fig.add_bar(name=f"{stage} {kind.split('_')[0]}", x=x, y=[t.get(stage, {}).get(kind, 0) for t in per_round],
                        marker_color=PALETTE[i % len(PALETTE)], secondary_y=False)
            i += 1
    if price is not None:
        fig.add_scatter(name=f"cost at {price.model} prices ($)", x=x, y=[round_cost(st, price) for st in stats],
                        mode="lines+markers", line={"color": "black"}, secondary_y=True)
        fig.update_yaxes(title_text="$", rangemode="tozero", secondary_y=True)
    fig.update_yaxes(title_text="tokens", secondary_y=False)
    return _layout(fig, barmode="stack")


def dedup_and_contamination(stats: list[dict[str, Any]], rejected: list[list[Record]]) -> go.Figure:
    x = [f"round {st['round']}" for st in stats]
    hits = [[r for r in recs if r.get("stage") in ("dedup", "decontam")] for recs in rejected]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("hits per round", "similarity of the hits"))
    kinds = sorted({_hit_kind(r) for recs in hits for r in recs})
    for i, kind in enumerate(kinds):
        fig.add_bar(name=kind, x=x, y=[sum(1 for r in recs if _hit_kind(r) == kind) for recs in hits],
                    marker_color=PALETTE[i % len(PALETTE)], legendgroup=kind, row=1, col=1)
        sims = [float(r["similarity"]) for recs in hits for r in recs
                if _hit_kind(r) == kind and isinstance(r.get("similarity"), int | float)]
        fig.add_histogram(x=sims, name=kind, legendgroup=kind, showlegend=False, xbins={"size": 0.025},
                          marker_color=PALETTE[i % len(PALETTE)], row=1, col=2)
    if not kinds:
        fig.add_annotation(text="no duplicate or contaminated item", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    fig.update_yaxes(title_text="rejected items", row=1, col=1)
    fig.update_xaxes(title_text="similarity", row=1, col=2)
    return _layout(fig, barmode="stack")


def _hit_kind(record: Record) -> str:
    if record.get("stage") == "decontam":
        return f"contaminated: {record.get('benchmark', '?')}"
    return str(record.get("reason", "dup"))
