"""One dedup worker process for the shared-index tests.

Reads {"config": {...}, "records": [...], "go": path or null} from the JSON file named by argv[1],
attaches to the index, prints "ready", waits for the ``go`` file (so two workers start together),
then prints its verdicts as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from evol.dedup import DedupConfig, DedupIndex


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    index = DedupIndex(DedupConfig(**job["config"]))
    print("ready", flush=True)
    if job.get("go"):
        deadline = time.monotonic() + 30
        while not Path(job["go"]).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    print(json.dumps(index.process(job["records"])), flush=True)


if __name__ == "__main__":
    main()
