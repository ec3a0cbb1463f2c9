"""`evol report`: one self-contained HTML page (plotly.js inlined once, no CDN) that shows a run."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from evol.io import atomic_write_text
from evol.pricing import Price, fmt_dollars, round_cost, run_price
from evol.records import Record
from evol.report import figures
from evol.report.lineage import Lineage, outcome
from evol.report.metrics import CHARS_PER_TOKEN, record_tokens
from evol.report.rundata import RunData, load_run
from evol.stages.table import method_columns, shown_funnel, tokens_total

MAX_TEXT = 4000  # characters of an instruction or answer shown in the lineage section
CHAINS = 3
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:0 24px 48px;
color:#1d232b;background:#fff}
h1{margin:24px 0 4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#57606a}.banner{padding:10px 14px;border-radius:6px;margin:12px 0}
.sim{background:#fff4d6;border:1px solid #e5b93a}.warn{background:#ffe3e3;border:1px solid #e07474}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}
th{background:#f6f8fa}td.l,th.l{text-align:left}.note{color:#57606a;max-width:900px}
.chain{border:1px solid #ddd;border-radius:6px;padding:8px 16px;margin:16px 0}
.step{border-left:3px solid #4c78a8;margin:10px 0;padding:2px 12px}.step.rej{border-color:#e45756}
.meta{font-size:.9em;color:#57606a}pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:4px;
margin:6px 0;font-size:.88em}nav a{margin-right:12px}#js-errors{display:none}
"""
# Installed before anything else, so a failing script shows up on the page (and in the headless test).
ERROR_HOOK = """<script>window.evolErrors=[];window.addEventListener('error',function(e){
window.evolErrors.push(String(e.message||e));var el=document.getElementById('js-errors');
if(el){el.style.display='block';el.textContent='script error: '+window.evolErrors.join(' | ');}});</script>"""
DONE_HOOK = """<script>window.addEventListener('load',function(){var n=document.querySelectorAll(
'.evol-plot .main-svg').length;document.body.setAttribute('data-rendered-svgs',String(n));});</script>"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _clip(text: str | None, limit: int = MAX_TEXT) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit:,} more characters)"


def _table(header: list[str], rows: list[list[Any]], left: int = 1) -> str:
    head = "".join(f'<th class="{"l" if i < left else ""}">{_e(h)}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{_e(c)}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _summary(run: RunData, price: Price | None) -> str:
    stats = run.stats
    tokens = sum(tokens_total(st) for st in stats)
    costs = [round_cost(st, price) for st in stats]
    total_cost = sum(c for c in costs if c is not None) if price else None
    rows = [
        ["status", run.status], ["rounds", f"{len(stats) - 1} evolution rounds + seeds (round 0)"],
        ["seeds", stats[0]["pool"]], ["kept rows (all rounds)", sum(st["kept"] for st in stats)],
        ["teacher model (served)", run.model], ["teacher model (config)", run.configured_model],
        ["endpoints", ", ".join(run.manifest.get("endpoints", [])) or "n/a"],
        ["tokens (prompt + completion)", f"{tokens:,}"],
        ["cost", f"{fmt_dollars(total_cost)}" + (f" at {price.model} prices" if price else " (no price configured)")],
        ["config digest", run.manifest.get("config_digest", "n/a")], ["evol", run.manifest.get("evol_version", "?")],
        ["wall time", f"{run.manifest.get('seconds', 0):,.0f} s"],
    ]
    return _table(["", ""], rows)


def _funnel_table(stats: list[dict[str, Any]], price: Price | None) -> str:
    columns = shown_funnel(stats)
    header = ["round", *[label for _, label in columns], "tokens", "cost"]
    rows = [[st["round"], *[st.get(k, 0) for k, _ in columns], f"{tokens_total(st):,}",
             fmt_dollars(round_cost(st, price))] for st in stats]
    return _table(header, rows, left=0)


def _verification_tables(stats: list[dict[str, Any]]) -> str:
    """Verified share, attempts and difficulty per round, and each method's measured yield (verified runs only)."""
    rounds = [st for st in stats if st.get("verification")]
    if not rounds:
        return ""
    rows = []
    agreed = any("pass_rate_mean" in st["verification"] for st in rounds)  # k answers judged by agreement
    for st in rounds:
        v = st["verification"]
        share = f"{v['kept_verified'] / st['kept']:.0%}" if st["kept"] else "-"
        diff = v.get("difficulty", {})
        head = [st["round"], v["tried"], v["status"].get("verified", 0), share,
                f"{v['attempts_total'] / max(1, v['tried']):.2f}"]
        if agreed:
            score = v.get("mutation_score_mean")
            rows.append([*head, f"{v.get('pass_rate_mean', 0):.2f}", v.get("cases_dropped", 0),
                         "-" if score is None else f"{score:.2f}", st.get("weak_tests", 0), st.get("no_gain", 0)])
        else:
            rows.append([*head, diff.get("first_try", 0), diff.get("later_try", 0), diff.get("never", 0),
                         st.get("no_gain", 0)])
    middle = (["mean pass rate over k", "cases dropped", "mutation score", "weak tests"] if agreed
              else ["first try", "later try", "never"])
    out = _table(["round", "tried", "verified", "verified share of kept", "answers per item", *middle,
                  "no tested gain"], rows, left=0)
    keys = method_columns()
    methods = [[st["round"], m, *(c.get(k, 0) for k in keys), f"{(st.get('method_weights') or {}).get(m, 0):.3f}"]
               for st in stats if st["round"] > 0 for m, c in (st.get("by_method") or {}).items()]
    if methods:
        out += _table(["round", "method", *(k.replace("_", " ") for k in keys), "weight drawn"], methods, left=2)
    return "<h3>Verification</h3>" + out


def _stage_seconds_table(stats: list[dict[str, Any]]) -> str:
    """Wall and CPU seconds per stage and round (summed over items), beside the stage's tokens."""
    rows = []
    for st in stats:
        tokens = st.get("tokens") or {}
        for stage, secs in (st.get("stage_seconds") or {}).items():
            used = sum(tokens.get(f"{stage}_{kind}", 0) for kind in ("prompt_tokens", "completion_tokens"))
            rows.append([st["round"], stage, f"{secs['wall']:.2f}", f"{secs['cpu']:.3f}", f"{used:,}"])
    if not rows:
        return ""
    return ("<h3>Seconds per stage</h3><p class=\"note\">Summed over the round's items: wall (waits included: many "
            "items run at once, so it exceeds the round's time) and CPU of evol's own threads working for the stage "
            "(sandboxed programs apart).</p>" + _table(["round", "stage", "wall s", "CPU s", "tokens"], rows, left=2))


def _step(record: Record) -> str:
    status = outcome(record)
    meta = (f"round {record.get('round')} · {record.get('method')} · model {record.get('model') or '—'} · "
            f"{record_tokens(record):,} tokens · {status}")
    answer = (f"<details><summary>answer</summary><pre>{_e(_clip(record.get('output')))}</pre></details>"
              if record.get("output") else "")
    cls = "step" if status == "kept" else "step rej"
    return (f'<div class="{cls}"><div class="meta">{_e(meta)} · <code>{_e(record.get("id"))}</code></div>'
            f'<pre>{_e(_clip(record.get("instruction")))}</pre>{answer}</div>')


def _chains(run: RunData) -> str:
    lineage = Lineage(run.by_id)
    last = next((r for r in reversed(run.rounds) if r.kept and r.number > 0), None)
    chains = lineage.sample_chains(last.kept, CHAINS) if last else []
    if not chains:
        return '<p class="note">No evolved item was kept, so there is no chain to show.</p>'
    parts = []
    for chain in chains:
        head = f"seed {chain[0].get('id')} → round {chain[-1].get('round')}"
        parts.append(f'<div class="chain"><h3>{_e(head)}</h3>{"".join(_step(r) for r in chain)}</div>')
    return "".join(parts)


def _plot_div(fig: figures.Figure) -> str:
    import plotly.io as pio

    div = pio.to_html(fig.fig, include_plotlyjs=False, full_html=False, div_id=f"plot-{fig.key}",
                      config=PLOT_CONFIG, default_height=f"{fig.fig.layout.height or figures.HEIGHT}px")
    return (f'<section id="{fig.key}"><h2>{_e(fig.title)}</h2><p class="note">{fig.note}</p>'
            f'<div class="evol-plot">{div}</div></section>')


def build_figures(run: RunData, price: Price | None) -> list[figures.Figure]:
    """Every plot of the report, in page order."""
    stats = run.stats
    kept = [r.kept for r in run.rounds]
    rejected = [r.rejected for r in run.rounds]
    lengths_fig, prov = figures.length_distributions(kept)
    token_note = "; ".join(f"{field}s: {rep:,} of {tot:,} token counts reported by the teacher"
                           for field, (rep, tot) in prov.items())
    price_note = (f"Cost at {_e(price.model)} prices (${price.input}/1M input, ${price.output}/1M output tokens)."
                  if price else "No price for this model in the run's [prices] table: pass <code>--prices FILE.toml"
                  "</code> to show dollars.")
    return [
        figures.Figure("funnel", "Funnel per round", "How many items each stage took in and threw out. "
                       "<i>decontaminated</i> counts items dropped for overlapping a benchmark.",
                       figures.funnel(stats)),
        figures.Figure("reasons", "Why items were rejected", "Rejected items per round by stage and reason.",
                       figures.rejection_reasons(stats, rejected)),
        figures.Figure("methods", "Method mix", "Evolution methods drawn per round, and the share of each method's "
                       "items that survived every stage.", figures.method_mix(stats)),
        figures.Figure("lengths", "Length of kept instructions and outputs",
                       f"Distributions over the kept items of each round (box: quartiles, dashed: mean). "
                       f"Tokens are the teacher-reported completion tokens where a record has them (an evolve call's "
                       f"completion is the new instruction, an answer call's is the output); the rest (seed "
                       f"instructions, given outputs) are estimated as characters / {CHARS_PER_TOKEN}. "
                       f"{token_note}.", lengths_fig),
        figures.Figure("difficulty", "Did rounds get harder?", "Proxies over the kept items: mean instruction length "
                       "relative to round 0, requirement phrases per instruction (<i>must, without, at most, O(n), "
                       "handle edge cases</i>, …), and the share of answers with a fenced code block.",
                       figures.difficulty_proxies(kept)),
        figures.Figure("tokens", "Tokens and cost per round", "Prompt and completion tokens per stage as recorded on "
                       "the records (teacher-reported usage, including answers later served from the cache; failed "
                       f"calls carry none). {price_note}", figures.tokens_and_cost(stats, price)),
        figures.Figure("dedup", "Duplicates and benchmark contamination", "Items dropped as exact or near "
                       "duplicates of earlier items, or for overlapping a benchmark, and how similar they were.",
                       figures.dedup_and_contamination(stats, rejected)),
    ]


def render(run: RunData, price: Price | None = None) -> str:
    """The whole page as a string."""
    from plotly.offline import get_plotlyjs

    figs = build_figures(run, price)
    banners = []
    if run.simulated:
        banners.append('<div class="banner sim"><b>SYNTHETIC DATA</b>: this run used the built-in offline simulator '
                       "(rule-based rewrites and canned answers). Good for trying the pipeline, worthless for training."
                       "</div>")
    banners += [f'<div class="banner warn">{_e(w)}</div>' for w in run.warnings]
    nav = "".join(f'<a href="#{f.key}">{_e(f.title)}</a>' for f in figs) + '<a href="#lineage">Lineage</a>'
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>evol report: {_e(run.name)}</title>", f"<style>{CSS}</style>", ERROR_HOOK,
        f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head>",
        f'<body data-plots="{len(figs)}">', '<div id="js-errors" class="banner warn"></div>',
        f"<h1>evol report: {_e(run.name)}</h1>", f'<p class="sub">{_e(run.path)} · generated {now}</p>',
        *banners, f"<nav>{nav}</nav>", "<h2>Summary</h2>", _summary(run, price),
        "<h3>Funnel</h3>", _funnel_table(run.stats, price), _verification_tables(run.stats),
        _stage_seconds_table(run.stats),
        *(_plot_div(f) for f in figs),
        '<section id="lineage"><h2>Lineage: seed to last round</h2><p class="note">A few kept items of the last '
        "round traced back to their seed: each step's method, model, tokens and outcome.</p>",
        _chains(run), "</section>", DONE_HOOK, "</body></html>",
    ])


def write_report(run_dir: str | Path, out: str | Path | None = None, prices_file: str | Path | None = None) -> Path:
    """Load the run, render the page and write it (default RUN/report.html); returns its path."""
    run = load_run(run_dir)
    price = run_price(run.config, run.model, run.configured_model, prices_file)
    path = Path(out) if out else run.path / "report.html"
    atomic_write_text(path, render(run, price))
    return path
