"""HumanEval scoring speed and sandbox behaviour. Writes bench/results/eval.json and eval.md.

- The 164 canonical solutions through the real path (post-processing, test program, sandbox with every
  layer this machine allows), median of 3 passes; the target is 10 s on 2 cores, reported as a ratio.
- The same programs as bare `python -I -S -c` subprocesses on the same number of workers: the sandbox's
  overhead as a ratio.
- One row per attack (evol.sandbox.attacks' table for Python, plus host-file attacks): what the sandbox
  answered, whether the host was harmed (reads of planted secrets count), and how long it took; once with
  every layer and once with the guard off (kernel layers alone; only when a uid is dropped).
``python -m bench.bench_eval``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from bench.provenance import write_results
from evol.eval.postprocess import extract_code
from evol.eval.problems import load_problems
from evol.sandbox import Limits, RunResult, Sandbox, attacks, run_many

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_S = 10.0
EVIL = ("/tmp/evol-bench-evil", "/etc/evol-bench-evil", "/var/tmp/evol-bench-evil")
ATTACKS = {  # beyond evol.sandbox.attacks' table (each language's seven), Python-only ones on the host's files
    "write to the host's /tmp": "open('/tmp/evol-bench-evil', 'w').write('x')",
    "write to /var/tmp": "open('/var/tmp/evol-bench-evil', 'w').write('x')",
    "delete outside the work dir": "import os\nos.remove('{victim}/keep.txt')",
    "read /etc/shadow": "print(open('/etc/shadow').read())",
    "spawn a shell": "import os\nos.system('touch /tmp/evol-bench-evil')",
    "kill the evaluator": f"import os\nos.kill({os.getpid()}, 9)",
    "kill every process": "import os\nos.kill(-1, 9)",
}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def canonical(sandbox: Sandbox) -> dict:
    problems = load_problems()
    programs = [(i, p.program(extract_code(p.canonical_solution or "", p.entry_point))) for i, p in enumerate(problems)]
    walls, cpus, passed = [], [], 0
    for _ in range(3):
        cpu, start = children_cpu(), time.perf_counter()
        results = dict(run_many(sandbox, programs, exit_ok=False))
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
        passed = sum(r.passed for r in results.values())
    raw = []
    for _ in range(3):
        start = time.perf_counter()
        with ThreadPoolExecutor(sandbox.workers) as pool:
            list(
                pool.map(
                    lambda ip: subprocess.run([sys.executable, "-I", "-S", "-c", ip[1]], capture_output=True), programs
                )
            )
        raw.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    return {
        "problems": len(programs),
        "passed": passed,
        "workers": sandbox.workers,
        "wall_s": round(wall, 2),
        "wall_s_runs": [round(w, 2) for w in walls],
        # the warm executor's programs are its fork servers' children, not this process's: not counted here
        "child_cpu_s": round(statistics.median(cpus), 2) if sandbox.warm_off is not None else None,
        "python_executor": sandbox.describe()["python_executor"],
        "target_s": TARGET_S,
        "ratio_to_target": round(wall / TARGET_S, 3),
        "bare_subprocess_wall_s": round(statistics.median(raw), 2),
        "overhead_ratio": round(wall / statistics.median(raw), 2),
    }


def harmed(scene: attacks.Scene, res: RunResult) -> list[str]:
    """What reached the host: the scene's judge (connection, planted secret read, victim changed, output not
    capped) plus a planted file or a /etc/shadow line in the output."""
    found = scene.harms(res)
    found += [f"{p} written" for p in EVIL if os.path.exists(p)]
    return found + (["/etc/shadow read"] if "root:" in res.stdout + res.stderr else [])


def attack_rows(sandbox: Sandbox) -> list[dict]:
    """Each attack with every layer, then with the guard off (the kernel layers alone, fork allowed)."""
    bare = Sandbox(sandbox.limits, workers=1, isolation=sandbox.isolation, guard=False)
    kernel = sandbox.isolation.uid is not None  # guard off as the caller's uid would be a real attack
    rows = []
    try:
        with attacks.planted() as scene:
            programs = {name: scene.program("python", name) for name in attacks.ATTACKS}
            programs.update({name: t.replace("{victim}", str(scene.victim)) for name, t in ATTACKS.items()})
            for name, program in programs.items():
                row: dict = {"attack": name}
                for label, box, fork in (("", sandbox, False), ("kernel_only_", bare, True))[: 2 if kernel else 1]:
                    limits = replace(attacks.LIMITS, allow_fork=fork)
                    start = time.perf_counter()
                    res = box.run(program, limits=limits)
                    took = round(time.perf_counter() - start, 2)
                    harms = harmed(scene, res)
                    row.update(
                        {
                            f"{label}status": res.status,
                            f"{label}kind": res.kind,
                            f"{label}harmed": bool(harms),
                            f"{label}harms": harms,
                            f"{label}error": (res.error or "")[:120],
                            f"{label}seconds": took,
                        }
                    )
                rows.append(row)
        rows.append({"attack": "afterwards: a normal program", "status": sandbox.run("print('ok')").status})
    finally:
        for path in EVIL:
            Path(path).unlink(missing_ok=True)
    return rows


def _yn(flag: bool | None) -> str:
    return "" if flag is None else ("**yes**" if flag else "no")


def table(report: dict) -> list[str]:
    c = report["canonical"]
    iso = report["sandbox"]["isolation"]
    lines = [
        "# HumanEval scoring in the sandbox",
        "",
        f"164 canonical solutions, {c['workers']} workers: **{c['wall_s']} s** (target {TARGET_S:g} s, "
        f"ratio {c['ratio_to_target']}); {c['passed']}/164 passed; bare subprocesses "
        f"{c['bare_subprocess_wall_s']} s (sandbox overhead x{c['overhead_ratio']}). "
        f"Load average at start: {report['machine']['load_avg_1m']}.",
        "",
        f"Isolation: {iso['tool']}; namespaces {', '.join(iso['namespaces']) or 'none'}; user {iso['user']}; "
        f"capabilities {iso['capabilities']}; reads: {iso['reads']}. Harm is judged on the host: a planted "
        "root-only secret or another user's 0600 file read, a connection to a host listener, a file written or "
        "deleted outside the work dir, output not capped.",
        "",
        "| attack | all layers | host harmed | s | kernel layers only (guard off) | host harmed | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["attacks"]:
        kernel = f"{r.get('kernel_only_status', '')} {r.get('kernel_only_kind') or ''}"
        lines.append(
            f"| {r['attack']} | {r['status']} {r.get('kind') or ''} | {_yn(r.get('harmed'))} | "
            f"{r.get('seconds', '')} | {kernel} | {_yn(r.get('kernel_only_harmed'))} | "
            f"{r.get('kernel_only_seconds', '')} |"
        )
    return lines


def main() -> None:
    sandbox = Sandbox(Limits(timeout_s=5.0))
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        },
        "sandbox": sandbox.describe(),
        "canonical": canonical(sandbox),
        "attacks": attack_rows(sandbox),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("eval.json", report)
    (RESULTS / "eval.md").write_text("\n".join(table(report)) + "\n")
    print(json.dumps(report["canonical"]))


if __name__ == "__main__":
    main()
