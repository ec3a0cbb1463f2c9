"""Where a results file came from: the commit its benchmark ran on, the date and the machine's load."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def provenance() -> dict[str, Any]:
    """The commit (`dirty`: the code, evol/ and bench/ less bench/results, had uncommitted changes), date, machine
    and load average."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = bool(git("status", "--porcelain", "--", "evol", "bench", ":!bench/results"))
    return {"commit": git("rev-parse", "HEAD"), "dirty": dirty,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "load_avg_1m_at_end": round(os.getloadavg()[0], 2)}


def write_results(name: str, report: dict[str, Any] | list[Any], indent: int = 2) -> Path:
    """Write bench/results/NAME with its provenance (a list of runs goes under `runs`)."""
    body = dict(report) if isinstance(report, dict) else {"runs": report}
    body["provenance"] = provenance()
    path = RESULTS / name
    path.write_text(json.dumps(body, indent=indent) + "\n")
    return path
