"""Scaling of the Ray sandbox backend on this machine: 1 vs 2 Ray workers, next to the local Sandbox.

The job: the 164 HumanEval canonical checks (solution + the benchmark's tests, `exit_ok=False`), run through
`run_many` on each backend with every isolation layer this machine allows. Each configuration gets one warm-up
pass (Ray actor placement and the isolation probe are start-up costs, reported apart); then 3 rounds time every
configuration in turn (so a busy shared machine weighs on all of them alike) and each reports its median.
Peers: the local Sandbox with the same number of workers (what one machine does without Ray).
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

from bench.provenance import write_results
from evol.eval.postprocess import extract_code
from evol.eval.problems import load_problems
from evol.sandbox import Sandbox, run_many
from evol.sandbox.ray_backend import RaySandbox
from evol.sandbox.ray_local import local_instance
from evol.sandbox.settings import SandboxLike

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PASSES = 3


def programs() -> list[tuple[int, str]]:
    problems = load_problems()
    return [(i, p.program(extract_code(p.canonical_solution or "", p.entry_point))) for i, p in enumerate(problems)]


def timed(sandbox: SandboxLike, jobs: list[tuple[int, str]]) -> tuple[float, int]:
    """One pass: wall seconds and programs passed."""
    start = time.perf_counter()
    results = dict(run_many(sandbox, jobs, exit_ok=False))
    return time.perf_counter() - start, sum(r.passed for r in results.values())


def measure(sandboxes: dict[str, SandboxLike], jobs: list[tuple[int, str]]) -> dict[str, dict[str, Any]]:
    """A warm-up pass each (start-up), then PASSES rounds that time every configuration in turn, so that all
    of them see the same load; programs per second from each one's median wall time."""
    rows: dict[str, dict[str, Any]] = {}
    for label, sandbox in sandboxes.items():
        first, passed = timed(sandbox, jobs)
        rows[label] = {"workers": sandbox.workers, "programs": len(jobs), "warmup_passed": passed,
                       "first_pass_s": round(first, 2), "wall_s_runs": [], "passed": []}
    for _ in range(PASSES):
        for label, sandbox in sandboxes.items():
            wall, passed = timed(sandbox, jobs)
            rows[label]["wall_s_runs"].append(round(wall, 2))
            rows[label]["passed"].append(passed)
    for row in rows.values():
        row["wall_s"] = statistics.median(row["wall_s_runs"])
        row["programs_per_s"] = round(len(jobs) / row["wall_s"], 1)
    return rows


def main() -> dict[str, Any]:
    jobs = programs()
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m_at_start": round(os.getloadavg()[0], 2)},
        "job": f"{len(jobs)} HumanEval canonical checks, exit_ok=False, after a warm-up pass each: "
               f"{PASSES} rounds timing every configuration in turn, median per configuration",
    }
    start = time.perf_counter()
    with local_instance(num_cpus=3):  # one node, room for the 1-worker and the 2-worker RaySandbox at once
        import ray

        report["ray"] = {"version": ray.__version__, "start_s": round(time.perf_counter() - start, 2)}
        with RaySandbox(address=None, workers=1) as ray1, RaySandbox(address=None, workers=2) as ray2:
            rows = measure({"local_1": Sandbox(workers=1), "local_2": Sandbox(workers=2), "ray_1": ray1,
                            "ray_2": ray2}, jobs)
            report["isolation"] = {"local": Sandbox(workers=1).isolation.describe(),
                                   "ray": ray2.isolation.describe()}
    report["configurations"] = rows
    pps = {label: row["programs_per_s"] for label, row in rows.items()}
    report["ratios"] = {
        "ray_2_over_1_workers": round(pps["ray_2"] / pps["ray_1"], 2),
        "local_2_over_1_workers": round(pps["local_2"] / pps["local_1"], 2),
        "ray_over_local_1_worker": round(pps["ray_1"] / pps["local_1"], 2),
        "ray_over_local_2_workers": round(pps["ray_2"] / pps["local_2"], 2),
    }
    report["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("ray.json", report, indent=1)
    print(json.dumps(pps), json.dumps(report["ratios"]), json.dumps(report["machine"]))
    return report


if __name__ == "__main__":
    main()
