"""Run every bench/bench_*.py module's ``main()`` in turn (``python -m bench``, ``make bench``)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main() -> int:
    failed = []
    for path in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        name = f"bench.{path.stem}"
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # one broken benchmark must not hide the others' results
            print(f"!! {name} failed: {exc!r}", file=sys.stderr, flush=True)
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - start:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
