"""HumanEval scoring speed and sandbox behaviour. Writes bench/results/eval.json and eval.md.

- The 164 canonical solutions through the real path (post-processing, test program, sandbox with every
  layer this machine allows), median of 3 passes; the target is 10 s on 2 cores, reported as a ratio.
- The same programs as bare `python -I -S -c` subprocesses on the same number of workers: the sandbox's
  overhead as a ratio.
- One row per attack: what the sandbox answered, whether the host was touched, and how long it took;
  once with every layer and once with the guard off (kernel layers alone; only when a uid is dropped).
``python -m bench.bench_eval``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evol.eval.postprocess import extract_code
from evol.eval.problems import load_problems
from evol.sandbox import Limits, Sandbox, run_many

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_S = 10.0
EVIL = ("/tmp/evol-bench-evil", "/etc/evol-bench-evil")
ATTACKS = {
    "infinite loop": "while True:\n    pass",
    "sleep forever": "import time\ntime.sleep(3600)",
    "network connection": "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)",
    "fork bomb": "import os\nwhile True:\n    os.fork()",
    "memory bomb": "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))",
    "write to the host's /tmp": "open('/tmp/evol-bench-evil', 'w').write('x')",
    "write outside the work dir": "open('/etc/evol-bench-evil', 'w').write('x')",
    "delete outside the work dir": "import os\nos.remove('{victim}')",
    "read secrets": "print(open('/etc/shadow').read())",
    "spawn a shell": "import os\nos.system('touch /tmp/evol-bench-evil')",
    "kill the evaluator": f"import os\nos.kill({os.getpid()}, 9)",
    "kill every process": "import os\nos.kill(-1, 9)",
    "output flood": "import sys\nwhile True:\n    sys.stdout.write('x' * 2**20)",
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
        "child_cpu_s": round(statistics.median(cpus), 2),
        "target_s": TARGET_S,
        "ratio_to_target": round(wall / TARGET_S, 3),
        "bare_subprocess_wall_s": round(statistics.median(raw), 2),
        "overhead_ratio": round(wall / statistics.median(raw), 2),
    }


def harmed(victim: Path) -> bool:
    """Did anything reach the host: a planted file, or a victim file deleted or changed?"""
    planted = any(os.path.exists(p) for p in EVIL)
    return planted or not victim.exists() or victim.read_text() != "precious"


def attacks(sandbox: Sandbox) -> list[dict]:
    """Each attack with every layer, then with the guard off (the kernel layers alone, fork allowed)."""
    bare = Sandbox(sandbox.limits, workers=1, isolation=sandbox.isolation, guard=False)
    kernel = sandbox.isolation.uid is not None  # guard off as the caller's uid would be a real attack
    victim = Path(tempfile.mkdtemp(prefix="evol-victim-", dir="/var/tmp")) / "keep.txt"
    victim.write_text("precious")
    rows = []
    try:
        for name, template in ATTACKS.items():
            program = template.replace("{victim}", str(victim))
            row: dict = {"attack": name}
            for label, box, fork in (("", sandbox, False), ("kernel_only_", bare, True))[: 2 if kernel else 1]:
                limits = Limits(timeout_s=2.0, memory_mb=512, file_size_mb=8, allow_fork=fork)
                start = time.perf_counter()
                res = box.run(program, limits=limits)
                took = round(time.perf_counter() - start, 2)
                row.update(
                    {
                        f"{label}status": res.status,
                        f"{label}kind": res.kind,
                        f"{label}harmed": harmed(victim),
                        f"{label}error": (res.error or "")[:120],
                        f"{label}seconds": took,
                    }
                )
            rows.append(row)
        rows.append({"attack": "afterwards: a normal program", "status": sandbox.run("print('ok')").status})
    finally:
        shutil.rmtree(victim.parent, ignore_errors=True)
        for path in EVIL:
            Path(path).unlink(missing_ok=True)
    return rows


def _yn(flag: bool | None) -> str:
    return "" if flag is None else ("**yes**" if flag else "no")


def table(report: dict) -> list[str]:
    c = report["canonical"]
    lines = [
        "# HumanEval scoring in the sandbox",
        "",
        f"164 canonical solutions, {c['workers']} workers: **{c['wall_s']} s** (target {TARGET_S:g} s, "
        f"ratio {c['ratio_to_target']}); {c['passed']}/164 passed; bare subprocesses "
        f"{c['bare_subprocess_wall_s']} s (sandbox overhead x{c['overhead_ratio']}). "
        f"Load average at start: {report['machine']['load_avg_1m']}.",
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
        "attacks": attacks(sandbox),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "eval.md").write_text("\n".join(table(report)) + "\n")
    print(json.dumps(report["canonical"]))


if __name__ == "__main__":
    main()
