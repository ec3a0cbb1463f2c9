"""Scaling of the Ray sandbox backend on this machine: 1 vs 2 Ray workers, next to the local Sandbox.

The job: the 164 HumanEval canonical checks (solution + the benchmark's tests, `exit_ok=False`), run through
`run_many` on each backend with every isolation layer this machine allows. Each configuration gets one warm-up
pass (Ray actor placement and the isolation probe are start-up costs, reported apart), then the median of
3 timed passes. Peers: the local Sandbox with the same number of workers (what one machine does without Ray).
Writes bench/results/ray.json. ``python -m bench.bench_ray``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from evol.eval.postprocess import extract_code
from evol.eval.problems import load_problems
from evol.sandbox import Sandbox, run_many
from evol.sandbox.ray_backend import RaySandbox, local_instance
from evol.sandbox.settings import SandboxLike

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PASSES = 3


def programs() -> list[tuple[int, str]]:
    problems = load_problems()
    return [(i, p.program(extract_code(p.canonical_solution or "", p.entry_point))) for i, p in enumerate(problems)]


def measure(sandbox: SandboxLike, jobs: list[tuple[int, str]]) -> dict[str, Any]:
    """Warm-up pass (start-up), then PASSES timed passes; programs per second from the median wall time."""
    start = time.perf_counter()
    warm = dict(run_many(sandbox, jobs, exit_ok=False))
    first = time.perf_counter() - start
    walls = []
    for _ in range(PASSES):
        start = time.perf_counter()
        results = dict(run_many(sandbox, jobs, exit_ok=False))
        walls.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    return {
        "workers": sandbox.workers,
        "programs": len(jobs),
        "passed": sum(r.passed for r in results.values()),
        "warmup_passed": sum(r.passed for r in warm.values()),
        "first_pass_s": round(first, 2),
        "wall_s": round(wall, 2),
        "wall_s_runs": [round(w, 2) for w in walls],
        "programs_per_s": round(len(jobs) / wall, 1),
    }


def main() -> dict[str, Any]:
    jobs = programs()
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m_at_start": round(os.getloadavg()[0], 2)},
        "job": f"{len(jobs)} HumanEval canonical checks, exit_ok=False, median of {PASSES} passes after a warm-up",
    }
    local = {n: measure(Sandbox(workers=n), jobs) for n in (1, 2)}
    report["isolation"] = Sandbox(workers=1).isolation.describe()
    ray: dict[int, dict[str, Any]] = {}
    start = time.perf_counter()
    with local_instance(num_cpus=2) as ray_module:
        report["ray"] = {"version": ray_module.__version__, "start_s": round(time.perf_counter() - start, 2)}
        for n in (1, 2):
            with RaySandbox(address=None, workers=n) as sandbox:
                ray[n] = measure(sandbox, jobs)
    report["local"] = {f"{n}_workers": r for n, r in local.items()}
    report["ray"].update({f"{n}_workers": r for n, r in ray.items()})
    report["ratios"] = {
        "ray_2_over_1_workers": round(ray[2]["programs_per_s"] / ray[1]["programs_per_s"], 2),
        "local_2_over_1_workers": round(local[2]["programs_per_s"] / local[1]["programs_per_s"], 2),
        "ray_over_local_1_worker": round(ray[1]["programs_per_s"] / local[1]["programs_per_s"], 2),
        "ray_over_local_2_workers": round(ray[2]["programs_per_s"] / local[2]["programs_per_s"], 2),
    }
    report["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ray.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["ratios"]), json.dumps({k: v for k, v in report["machine"].items()}))
    return report


if __name__ == "__main__":
    main()
