"""How right verification is, measured against the simulator's truth (bench/bench_verify.py calls `measure`).

The sim's task world knows every task (evol/sim/tasks.py: a family over a list of integers plus requirements),
so each record can be judged by an oracle, outside the pipeline:
- verified precision: kept Python items whose code is right (the oracle's outputs on held-out inputs, and every
  requirement: validation, an operation count, one-shot iterables, type hints) / kept Python items;
- `no_tested_gain` recall: children of the methods in `verify.require_gain` whose task is their parent's (the
  requirement added changes nothing a test case can see; type hints are a check, never a case), that passed
  verify and were not deduplicated: the share not kept;
- false rejection: items whose tests were right and not vacuous, rejected at verify although an answer passed
  every case as written (agreement's `passing_written`), at teeth (`weak_tests`: the tests were right), or at
  gain although the child did add behaviour: / items with right tests that reached verify;
- mutation score: the mean share of mutants of each kept answer its kept cases kill (measured the same way
  for both runs, after the run), LLM requests and completion tokens per kept item.
``python -m bench.verify_quality`` runs it alone (smaller: `--limit 20 --rounds 2`).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import io
import json
import math
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from evol.config import load_config
from evol.io import read_jsonl
from evol.pipeline import run
from evol.rundir import RunDir
from evol.sandbox import Limits, default_sandbox
from evol.sim.tasks import Task
from evol.stages.teeth import mutation
from evol.verification import Case

ROOT = Path(__file__).resolve().parents[1]
# The task world: 30% of tests wrong (10% an arbitrary value, 20% a plausible misreading), answers buggy,
# misread or crashing at the sim's rates, some vacuous tests, and a few tasks misread by everyone alike.
WORLD = {"tests_wrong": 0.10, "tests_misread": 0.20, "tests_vacuous": 0.05, "answer_bug": 0.25,
         "answer_misread": 0.10, "answer_crash": 0.04, "shared_misread": 0.02}
HARDER = {**WORLD, "answer_misread": 0.30}  # answers follow the misreading three times as often
REFEREE_APART = 0.05  # a referee on another, stronger model: its own misreading rate
CHECKS_ON: dict[str, Any] = {}  # pipelines/verified.toml as shipped
# Today's checks: one answer at a time (up to verify.max_answers), no mutants, and a seed that failed its
# verification still a parent (its children checked against its tried answer: the closest to waving them through).
CHECKS_OFF = {"verify.answers": 1, "verify.mutants": 0, "verify.min_cases": 1, "verify.unverified_parents": "check",
              "verify.referee.enabled": False}
# 120 seeds (of the 368 shipped) x 3 rounds: at 60, one no-op child missed moved recall by 5 points.
LIMIT = 120
HELD_OUT = [[], [5], [2, 2], [3, 1, 2, 3, 5, 1, 4], [9, -1, 9, 0, -1, 9], list(range(10)), [4, 4, 4, 4], [7, 3]]


def reference(family: str, xs: list[int]) -> Any:
    """The right answer of a task family."""
    if family == "unique_sorted":
        return sorted(set(xs))
    if family == "running_max":
        out, best = [], None
        for x in xs:
            best = x if best is None or x > best else best
            out.append(best)
        return out
    counts = Counter(xs)
    return dict(counts) if family == "counts" else sum(c * (c - 1) // 2 for c in counts.values())


def oracle(task: Task) -> Any:
    """The task's right function, requirements included (for judging the tests' cases)."""
    def solve(xs: Any) -> Any:
        if "validate" in task.needs and (xs is None or isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__")):
            raise ValueError("xs")
        value = reference(task.family, list(xs))
        return (value, len(value) if hasattr(value, "__len__") else 0) if "ops" in task.needs else value
    return solve


def code_is_right(record: dict[str, Any]) -> bool:
    """Whether a Python record's code does its task (held-out inputs and every requirement)."""
    task = Task.of(record["instruction"])
    namespace: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(record["code"].rsplit("\n\n\nprint(", 1)[0], "<kept>", "exec"), namespace)  # sim code only
            fn = namespace[task.name]
            for xs in HELD_OUT:
                got = fn(list(xs))
                got = got[0] if "ops" in task.needs else got
                if got != reference(task.family, xs):
                    return False
                if "iterable" in task.needs and (fn(iter(xs))[0] if "ops" in task.needs else fn(iter(xs))) != got:
                    return False
            if "validate" in task.needs:
                try:
                    fn(None)
                    return False
                except ValueError:
                    pass
            return "hints" not in task.needs or bool(fn.__annotations__)
    except Exception:
        return False


def tests_are_right(record: dict[str, Any]) -> bool:
    """Whether the tests as written (kept and dropped cases) are all right and not vacuous."""
    cases = [Case.from_record(c) for c in (record.get("cases") or []) + (record.get("cases_dropped") or [])]
    if len([c for c in cases if c.raises is None]) < 2:
        return False  # no cases, or only the empty input
    task = Task.of(record["instruction"])
    names = {task.name: oracle(task), "list": list, "range": range, "iter": iter}
    for case in cases:
        try:
            got = eval(case.call or "", {"__builtins__": {}}, names)  # the sim's literal calls only
        except Exception as exc:
            if case.raises is None or type(exc).__name__ != case.raises:
                return False
            continue
        try:
            if case.raises is not None or got != ast.literal_eval(case.expected):
                return False
        except (ValueError, SyntaxError):
            return False
    return True


def no_op(record: dict[str, Any], parents: dict[str, dict[str, Any]]) -> bool:
    """The child asks for what its parent did, as far as a test case can see (type hints are no case's business)."""
    parent = parents.get(record.get("parent_id") or "")
    if parent is None:
        return False
    child, before = Task.of(record["instruction"]), Task.of(parent["instruction"])
    return (child.family, child.needs - {"hints"}) == (before.family, before.needs - {"hints"})


def records(run_dir: Path, rounds: int) -> list[dict[str, Any]]:
    out = []
    for n in range(rounds + 1):
        folder = run_dir / f"round-{n:02d}"
        out += [r for name in ("kept", "rejected") if (folder / f"{name}.jsonl").exists()
                for r in read_jsonl(folder / f"{name}.jsonl")]
    return out


def judge_run(run_dir: Path, rounds: int, stats: list[dict[str, Any]], require_gain: list[str]) -> dict[str, Any]:
    every = records(run_dir, rounds)
    kept_ids = {k["id"] for k in _kept(run_dir, rounds)}
    kept = [r for r in every if r["id"] in kept_ids]
    py_kept = [r for r in kept if r.get("language") == "python"]
    right = [r for r in py_kept if code_is_right(r)]
    by_id = {r["id"]: r for r in every}
    files = RunDir(run_dir)
    pool = {**by_id, **{r["id"]: r for n in range(rounds + 1) for r in read_jsonl(files.pool(n))}}
    noops = [r for r in every if r.get("round", 0) > 0 and r.get("method") in require_gain
             and (r.get("verification") or {}).get("status") == "verified" and r.get("language") == "python"
             and r.get("stage") not in ("dedup", "decontam") and no_op(r, pool)]
    caught = [r for r in noops if r["id"] not in kept_ids]
    reached = [r for r in every if r.get("verification")]  # the verify stage ran
    good = [r for r in reached if r.get("language") == "python" and tests_are_right(r)]
    false = [r for r in good if _falsely_rejected(r, pool, require_gain)]
    scores = asyncio.run(_mutation_scores(py_kept))
    calls = sum(int(t.get("calls", 0)) for st in stats for t in (st.get("llm_calls_this_process") or {}).values())
    completion = sum(n for st in stats for k, n in (st.get("tokens") or {}).items()
                     if k.endswith("_completion_tokens"))
    n_kept = sum(st["kept"] for st in stats)
    return {
        "kept": n_kept, "kept_python": len(py_kept), "kept_right": len(right),
        "verified_precision": _share(len(right), len(py_kept)),
        "verified_precision_ci95": wilson(len(right), len(py_kept)),
        "no_op_children_verified": len(noops), "no_op_children_not_kept": len(caught),
        "no_tested_gain_recall": _share(len(caught), len(noops)),
        "no_tested_gain_recall_ci95": wilson(len(caught), len(noops)),
        "items_with_right_tests": len(good), "falsely_rejected": len(false),
        "false_rejection": _share(len(false), len(good)),
        "false_rejection_ci95": wilson(len(false), len(good)),
        "false_rejections_by_reason": dict(Counter(r.get("reason") for r in false)),
        "mutation_score_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "llm_requests": calls, "llm_requests_per_kept_item": _share(calls, n_kept, 2),
        "completion_tokens_per_kept_item": _share(completion, n_kept, 1),
        "rejected_by_reason": dict(Counter(r.get("reason") for r in every if r["id"] not in kept_ids).most_common()),
    }


def _kept(run_dir: Path, rounds: int) -> list[dict[str, Any]]:
    return [r for n in range(rounds + 1) for r in read_jsonl(run_dir / f"round-{n:02d}" / "kept.jsonl")]


def _falsely_rejected(record: dict[str, Any], pool: dict[str, dict[str, Any]], require_gain: list[str]) -> bool:
    if record.get("stage") == "verify":  # an answer passed the (right) tests as written, yet no answer was kept
        return bool((record.get("agreement") or {}).get("passing_written"))
    if record.get("stage") == "teeth":
        return True  # the tests were right and not vacuous
    if record.get("stage") == "gain":
        return not no_op(record, pool)
    return False


async def _mutation_scores(kept: list[dict[str, Any]]) -> list[float]:
    sandbox, limits = default_sandbox(), Limits(timeout_s=2.0)
    out = []
    for record in kept:
        cases = [Case.from_record(c) for c in record.get("cases") or []]
        found = await mutation(sandbox, record["code"], cases, 8, limits)
        if found["score"] is not None:
            out.append(found["score"])
    return out


def wilson(k: int, n: int, z: float = 1.96) -> list[float] | None:
    """The Wilson score interval (95%) of a share k / n: how far the sample size lets a figure be trusted."""
    if not n:
        return None
    p, d = k / n, z * z / n
    mid, half = (p + d / 2) / (1 + d), z * math.sqrt(p * (1 - p) / n + d / (4 * n)) / (1 + d)
    return [round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4)]


def _share(a: float, b: float, digits: int = 4) -> float | None:
    return round(a / b, digits) if b else None


def measure(limit: int = LIMIT, rounds: int = 3, keep: Path | None = None, world: dict[str, float] | None = None,
            runs: tuple[str, ...] = ("on", "off")) -> dict[str, Any]:
    """Checks on and off on the same task world (`world`, default WORLD), in one process: {world, on, off}
    (`runs`: which of the two; `keep`: leave the runs there)."""
    world = world or WORLD
    previous = os.environ.get("EVOL_SIM_RATES")
    os.environ["EVOL_SIM_RATES"] = json.dumps(world)
    out: dict[str, Any] = {"world": world, "limit": limit, "rounds": rounds, "checks_on": CHECKS_ON,
                           "checks_off": CHECKS_OFF}
    try:
        with contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(
                prefix="evol-bench-quality-") as tmp:
            for name, overrides in (("on", CHECKS_ON), ("off", CHECKS_OFF)):
                if name not in runs:
                    continue
                folder = Path(tmp) / name
                cfg = load_config(ROOT / "pipelines/verified.toml", {
                    "out_dir": tmp, "name": name, "seeds.paths": [str(ROOT / "data/seeds/code_seeds.jsonl")],
                    "limit": limit, "rounds": rounds, **overrides})
                result = run(cfg, Console(stderr=True, quiet=True))
                out[name] = judge_run(folder, rounds, result.stats, cfg.verify.require_gain)
    finally:
        if previous is None:
            os.environ.pop("EVOL_SIM_RATES", None)
        else:
            os.environ["EVOL_SIM_RATES"] = previous
    return out


def harder(limit: int = LIMIT, rounds: int = 3) -> dict[str, Any]:
    """The same bench where answers misread three times as often (HARDER): checks on and off, and checks on with
    the referee on a model of its own that misreads at REFEREE_APART (`on_referee_apart`)."""
    out = measure(limit, rounds, world=HARDER)
    apart = measure(limit, rounds, world={**HARDER, "referee_misread": REFEREE_APART}, runs=("on",))
    return {**out, "referee_misread_apart": REFEREE_APART, "on_referee_apart": apart["on"]}


ROWS = [("verified precision", "verified_precision"), ("no_tested_gain recall", "no_tested_gain_recall"),
        ("false rejection", "false_rejection"), ("mutation score (mean, kept items)", "mutation_score_mean"),
        ("LLM requests per kept item", "llm_requests_per_kept_item"),
        ("completion tokens per kept item", "completion_tokens_per_kept_item"), ("kept items", "kept")]


def quality_table(q: dict[str, Any]) -> list[str]:
    """The checks-on/off table (markdown lines)."""
    lines = [f"Sim task world {json.dumps(q['world'])}, {q['limit']} seeds, {q['rounds']} rounds:", "",
             "| | checks on (pipelines/verified.toml) | checks off (one answer, no mutants) |", "|---|---|---|"]
    return lines + [f"| {label} | {q['on'][key]} | {q['off'][key]} |" for label, key in ROWS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="leave the two runs in this folder")
    args = parser.parse_args()
    result = measure(args.limit, args.rounds, args.keep)
    print(json.dumps(result, indent=1))
    print("\n".join(quality_table(result)))


if __name__ == "__main__":
    main()
