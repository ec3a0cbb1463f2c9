"""Soak: N items through the client against the built-in simulator with 10% mixed faults, and fault-free.

`python -m bench.soak [N]` (N = 50,000 by default; `make bench` runs it) writes bench/results/soak.json and
soak.md. Both runs are the same job with the same accounting: N distinct chat requests through 64 workers and
an endpoint capped at 64 in flight, the sim in its own process (so RSS is the client's alone); the two runs
share one client process, fault-free first. Faults: 2% each
of 429, 500 and 503, 2% dropped connections, 1% malformed bodies, 1% truncated replies (finish_reason
"length": an answer, which the pipeline's filters judge, not a lost item). Reported per run: items lost
(no answer after the client's retries: must be 0), peak and final RSS, RSS growth after warm-up (the first
10% of items) and throughput; the faulty run's throughput is also given relative to the fault-free one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.provenance import write_results
from evol.llm import EndpointConfig, LLMClient, LLMFailure, LLMRequest
from evol.sim.launch import SimProcess

RESULTS = Path(__file__).resolve().parent / "results"
FAULTS = {"--p429": "0.02", "--p500": "0.02", "--p503": "0.02", "--pdrop": "0.02", "--pmalformed": "0.01",
          "--ptruncate": "0.01"}
WORKERS = 64
WARMUP = 0.1


def rss_mib() -> float:
    """Resident set size of this process now, MiB (from /proc; the peak is the highest of a sample every
    500 items and the final one)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def drive(url: str, n: int) -> dict[str, Any]:
    client = LLMClient([EndpointConfig(url, max_concurrency=WORKERS, timeout=30.0)], max_attempts=10,
                       backoff_base=0.02, backoff_cap=0.5, seed=0)
    todo, done, lost, truncated = iter(range(n)), [0], [0], [0]
    warm_rss: list[float] = []
    samples: list[float] = []

    async def worker() -> None:
        for i in todo:
            req = LLMRequest("evol-sim", "chat", messages=[{"role": "user", "content": f"Write function {i}."}],
                             params={"max_tokens": 256}, stage="answer", round=1)
            try:
                result = await client.complete(req)
                truncated[0] += result.finish_reason == "length"
            except LLMFailure:
                lost[0] += 1
            done[0] += 1
            if done[0] % 500 == 0:
                samples.append(rss_mib())
            if not warm_rss and done[0] >= WARMUP * n:
                warm_rss.append(rss_mib())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    seconds = time.perf_counter() - start
    totals = client.ledger.totals()
    limiter = client.snapshot()[0]
    await client.aclose()
    final = rss_mib()
    peak = max([final, *samples])
    return {"items": n, "lost": lost[0], "answered": n - lost[0], "truncated_answers": truncated[0],
            "errors_retried": totals["errors"], "seconds": round(seconds, 1),
            "items_per_s": round(n / seconds, 1), "rss_after_warmup_mib": round(warm_rss[0], 1),
            "rss_final_mib": round(final, 1), "rss_peak_mib": round(peak, 1),
            "rss_growth_after_warmup": round(final / warm_rss[0] - 1, 4), "limiter_at_end": limiter}


def run(n: int, faults: dict[str, str]) -> dict[str, Any]:
    args = [a for kv in faults.items() for a in kv]
    with SimProcess(*args, "--seed", "1") as sim:
        return asyncio.run(drive(sim.base_url, n))


def main(n: int = 50_000) -> dict[str, Any]:
    clean = run(n, {})
    faulty = run(n, FAULTS)
    out = {"label": f"soak-{n}-items-10pct-faults", "items": n, "workers": WORKERS,
           "faults": {k.removeprefix("--"): float(v) for k, v in FAULTS.items()},
           "fault_free": clean, "faulty": faulty,
           "throughput_vs_fault_free": round(faulty["items_per_s"] / clean["items_per_s"], 3),
           "pass": faulty["lost"] == 0 and clean["lost"] == 0 and faulty["rss_growth_after_warmup"] < 0.10}
    RESULTS.mkdir(exist_ok=True)
    write_results("soak.json", out)
    rows = [f"| {name} | {r['items']} | {r['lost']} | {r['items_per_s']} | {r['rss_after_warmup_mib']} | "
            f"{r['rss_peak_mib']} | {r['rss_final_mib']} | {r['rss_growth_after_warmup']:.1%} |"
            for name, r in (("fault-free", clean), ("10% faults", faulty))]
    (RESULTS / "soak.md").write_text(
        f"# Soak ({out['label']}, from soak.json)\n\n"
        "| run | items | lost | items/s | RSS after warm-up MiB | peak MiB | final MiB | growth after warm-up |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) +
        f"\n\nThroughput with faults: {out['throughput_vs_fault_free']:.2f}x the fault-free run.\n")
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)["pass"] else 1)
