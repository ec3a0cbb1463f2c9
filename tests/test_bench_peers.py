"""The peers benchmark's accounting: requests counted at the server, start-up to the first request, CPU."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench.llm_peers import measure, write_seeds
from evol.sim.launch import SimProcess

# A stand-in for a tool: idles 0.3 s (its "start-up"), then sends three chat requests.
JOB = """
import sys, time, httpx
time.sleep(0.3)
for i in range(3):
    body = {"model": "m", "messages": [{"role": "user", "content": f"Write a function {i}."}]}
    httpx.post(sys.argv[1] + "/chat/completions", json=body, timeout=30).raise_for_status()
print("done")
"""


def test_write_seeds_makes_distinct_instructions(tmp_path: Path) -> None:
    rows = [json.loads(x) for x in write_seeds(tmp_path / "s.jsonl", 800).read_text().splitlines()]
    assert len(rows) == 800 and len({r["instruction"] for r in rows}) == 800


def test_measure_counts_at_the_server_and_separates_start_up(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    with SimProcess() as sim:
        row = measure([sys.executable, str(script), sim.base_url], sim.base_url, dict(os.environ), timeout=120)
    assert row["requests_served"] == 3 and row["server_counts"]["requests"] == 3
    assert row["startup_s"] >= 0.3 and row["job_s"] > 0  # the idle start-up is not counted as job time
    assert row["wall_s"] >= row["startup_s"] and row["client_cpu_s"] > 0
    assert row["output_tail"] == "done"
