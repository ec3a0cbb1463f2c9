"""Verification throughput on the simulator run. Writes bench/results/verify.json and verify.md.

1. The verified recipe (pipelines/verified.toml: 60 seeds, 3 rounds) through the built-in simulator, timed per
   round; the sandbox-busy seconds (verify + gain checks, summed over items) as a share of the round's wall
   time times the sandbox's worker slots.
2. The same recipe with verification off: the wall-time ratio says what verification costs a round end to end
   (it also asks the tests requests and resampled answers, so it is the whole price, not the sandbox alone);
   and with 4 answers instead of 6, for the LLM requests per kept item at k = 4.
3. The quality bench (bench/verify_quality.py) on its task world, and on a harder one (answers misreading three
   times as often), there also with the referee on a model of its own.
4. Every verified pair of run 1 checked again straight through the trusted judge (the Python driver + code on
   its cases, one worker slot per core): items per second per worker (items / wall / workers).
``python -m bench.bench_verify``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console

from bench.provenance import write_results
from bench.verify_quality import harder, measure, quality_table
from evol.config import load_config
from evol.export import kept_records
from evol.pipeline import run
from evol.sandbox import Limits, default_sandbox
from evol.verification import Case, check

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _run(out: Path, verify: bool, **overrides: object) -> tuple[float, list[dict]]:
    cfg = load_config(ROOT / "pipelines/verified.toml", {
        "out_dir": str(out.parent), "name": out.name, "seeds.paths": [str(ROOT / "data/seeds/code_seeds.jsonl")],
        "verify.enabled": verify, **overrides})
    started = time.perf_counter()
    result = run(cfg, Console(stderr=True, quiet=True))
    return time.perf_counter() - started, result.stats


def _recheck(records: list[dict]) -> dict:
    sandbox = default_sandbox()
    limits = Limits(timeout_s=5.0)
    items = [r for r in records if r["language"] == "python"]
    def one(r: dict) -> bool:
        cases = [Case.from_record(c) for c in r["cases"]]
        return check(sandbox, r["code"], "python", cases, limits, r["instruction"]).ok

    cpu0 = os.times()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sandbox.workers) as pool:
        ok = sum(pool.map(one, items))
    wall = time.perf_counter() - started
    cpu1 = os.times()
    children_cpu = (cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system)
    return {"items": len(items), "verified_again": ok, "workers": sandbox.workers, "wall_s": round(wall, 3),
            "items_per_s": round(len(items) / wall, 1),
            "items_per_s_per_worker": round(len(items) / wall / sandbox.workers, 1),
            "child_cpu_s_per_item": round(children_cpu / max(1, len(items)), 4),
            "isolation": sandbox.isolation.describe()}


def _requests(stats: list[dict]) -> dict:
    """LLM requests of a run (as its client counted them, per stage) and per kept item."""
    calls: dict[str, int] = {}
    for st in stats:
        for stage, totals in (st.get("llm_calls_this_process") or {}).items():
            calls[stage] = calls.get(stage, 0) + int(totals.get("calls", 0))
    kept = sum(st["kept"] for st in stats)
    return {"by_stage": calls, "total": sum(calls.values()), "kept": kept,
            "per_kept_item": round(sum(calls.values()) / kept, 2) if kept else None}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="evol-bench-verify-") as tmp:
        wall_on, stats_on = _run(Path(tmp) / "on", True)
        wall_off, stats_off = _run(Path(tmp) / "off", False)
        _, stats_k4 = _run(Path(tmp) / "k4", True, **{"verify.answers": 4})  # the k = 4 request count
        kept = [r for r in kept_records(Path(tmp) / "on") if (r.get("verification") or {}).get("status") == "verified"]
        recheck = _recheck(kept)
    quality = measure()
    quality_harder = harder()
    workers = default_sandbox().workers
    rounds = []
    for st in stats_on:
        v = st.get("verification") or {}
        busy = v.get("seconds_total", 0) + v.get("gain_seconds_total", 0)
        rounds.append({"round": st["round"], "wall_s": st["seconds"], "sandbox_busy_s": round(busy, 2),
                       "sandbox_share_of_round": round(busy / (st["seconds"] * workers), 3) if st["seconds"] else None,
                       "tried": v.get("tried", 0), "verified": st.get("verified", 0), "kept": st["kept"]})
    report = {
        "what": "pipelines/verified.toml (60 seeds, 3 rounds) through the built-in simulator, verification on vs off; "
                "then every kept verified pair re-checked straight through the sandbox",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1m": os.getloadavg()[0]},
        "run_wall_s": {"verify_on": round(wall_on, 2), "verify_off": round(wall_off, 2),
                       "ratio_on_to_off": round(wall_on / wall_off, 2)},
        "rounds": rounds,
        "requests": {"verify_on": _requests(stats_on), "verify_off": _requests(stats_off),
                     "verify_on_k4": _requests(stats_k4)},
        "answers_per_verified_item": round(sum((st.get("verification") or {}).get("attempts_total", 0)
                                               for st in stats_on)
                                           / max(1, sum((st.get("verification") or {}).get("tried", 0)
                                                        for st in stats_on)), 2),
        "recheck": recheck,
        "quality": quality,
        "quality_harder": quality_harder,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("verify.json", report)
    lines = ["# Verification throughput (bench/bench_verify.py)", "", report["what"] + ".", "",
             f"- whole run: {wall_on:.1f} s with verification, {wall_off:.1f} s without "
             f"({report['run_wall_s']['ratio_on_to_off']}x); 1-minute load average at the end "
             f"{report['machine']['load_1m']:.1f} on {report['machine']['cpus']} cores",
             f"- re-check of {recheck['items']} verified pairs on {recheck['workers']} sandbox workers: "
             f"{recheck['items_per_s_per_worker']} items/s per worker ({recheck['items_per_s']} items/s), "
             f"{recheck['verified_again']} verified again",
             f"- LLM requests per kept item: {report['requests']['verify_on']['per_kept_item']} with verification, "
             f"{report['requests']['verify_off']['per_kept_item']} without; answers per verified item "
             f"{report['answers_per_verified_item']}", "",
             "| round | wall s | sandbox busy s | share of round (busy / wall x workers) | tried | verified | kept |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['round']} | {r['wall_s']} | {r['sandbox_busy_s']} | {r['sandbox_share_of_round']} | {r['tried']} "
              f"| {r['verified']} | {r['kept']} |" for r in rounds]
    lines += ["", *quality_table(quality), "", "Harder: " + quality_table(quality_harder)[0], *quality_table(
        quality_harder)[1:], "", f"With the referee apart (misreading at {quality_harder['referee_misread_apart']}): "
        + ", ".join(f"{key} {quality_harder['on_referee_apart'][key]}" for key in (
            "verified_precision", "no_tested_gain_recall", "false_rejection", "llm_requests_per_kept_item"))]
    (RESULTS / "verify.md").write_text("\n".join(lines) + "\n")
    print(json.dumps({"run_wall_s": report["run_wall_s"], "recheck": {k: v for k, v in recheck.items()
                                                                       if k != "isolation"}}))


if __name__ == "__main__":
    main()
