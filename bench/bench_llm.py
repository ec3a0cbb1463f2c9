"""LLM-layer benchmarks against the sim (all on this machine, one run, ratios):

- throughput: achieved / ideal requests/s (ideal = min(C, capacity) / latency) and client CPU ms per
  request, at several latencies and concurrencies, for the default transport; the SDK transports once;
- random 429s: throughput and the final limit with 5% load-independent 429s;
- faults: a pipeline run with 5% 429, 2% 500, 1% dropped, 1% malformed vs a clean one (train.json equal?);
- overload: --capacity 32 --overload 429 under a cap of 64 (where does the limit settle, any failure?);
- peers: one long job (2,000 seeds x (evolve + answer), concurrency 64, at 0.05 s and 0.5 s) through evol,
  distilabel 1.5.3 and bespokelabs-curator 0.1.31, same server, same accounting (bench/llm_peers.py).

Writes bench/results/llm.json and bench/results/llm.md. `python -m bench.bench_llm [--quick]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.llm_peers import markdown as peers_markdown
from bench.llm_peers import run_peers
from bench.provenance import write_results
from evol.config_file import read_toml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


# -- throughput -------------------------------------------------------------------------------------------

async def _drive(url: str, concurrency: int, n: int, transport: str, cache: Path | None,
                 sample: bool = False, warmup: bool = True) -> dict[str, Any]:
    """n distinct requests through `concurrency` workers; first one untimed wave opens the connections
    (a real run lasts hours: its start-up does not count)."""
    from evol.llm import EndpointConfig, LLMClient, LLMFailure, LLMRequest

    client = LLMClient([EndpointConfig(url, max_concurrency=concurrency, timeout=60, transport=transport)],  # type: ignore[arg-type]
                       cache_path=cache, backoff_base=0.05, backoff_cap=2.0)
    todo = iter(range(n))
    failures = 0
    trace: list[tuple[float, float]] = []

    async def worker(offset: int = 0) -> None:
        nonlocal failures
        for i in todo:
            i += offset
            req = LLMRequest("evol-sim", "chat", params={"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048},
                             messages=[{"role": "user", "content": f"Write a Python function (task {i}) that "
                                                                   "merges two sorted lists in linear time."}])
            try:
                await client.complete(req)
            except LLMFailure:
                failures += 1

    async def sampler() -> None:
        start = time.monotonic()
        while True:
            trace.append((time.monotonic() - start, client.endpoints[0].limit.limit))
            await asyncio.sleep(0.1)

    if warmup:
        todo = iter(range(concurrency))
        await asyncio.gather(*(worker(10**9) for _ in range(concurrency)))
        todo = iter(range(n))
    probe = asyncio.create_task(sampler()) if sample else None
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if probe:
        probe.cancel()
    snap = client.snapshot()[0]
    await client.aclose()
    return {"n": n, "wall_s": round(wall, 3), "rps": round(n / wall, 1), "cpu_ms_per_req": round(cpu / n * 1000, 3),
            "failures": failures, "limit": snap, "trace": trace}


def _cell(url: str, latency: float, concurrency: int, n: int, transport: str = "aiohttp",
          capacity: int | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = asyncio.run(_drive(url, concurrency, n, transport, Path(tmp) / "cache.sqlite"))
    ideal = min(concurrency, capacity or concurrency) / latency
    out.pop("trace")
    return {"latency_s": latency, "concurrency": concurrency, "transport": transport, "ideal_rps": round(ideal, 1),
            "ratio": round(out["rps"] / ideal, 3), **out}


def throughput(quick: bool) -> list[dict[str, Any]]:
    from evol.sim.launch import SimProcess

    plan = {1.0: [16, 64, 256], 0.2: [16, 64, 256], 0.05: [16, 64]}
    seconds = 4 if quick else 16  # steady state: a real run lasts hours, its first and last waves do not count
    rows = []
    for latency, concurrencies in plan.items():
        with SimProcess("--latency", str(latency)) as sim:
            for c in concurrencies:
                rows.append(_cell(sim.base_url, latency, c, max(c, int(seconds * c / latency))))
                print(f"  throughput {latency}s C={c}: {rows[-1]['ratio']:.3f} of ideal, "
                      f"{rows[-1]['cpu_ms_per_req']} ms CPU/req", flush=True)
            if latency == 0.2:
                for transport in ("openai-aiohttp", "openai-httpx"):
                    rows.append(_cell(sim.base_url, latency, 64, 600 if quick else 1200, transport))
                    print(f"  {transport} 0.2s C=64: {rows[-1]['ratio']:.3f}", flush=True)
    return rows


def random_429(quick: bool) -> dict[str, Any]:
    from evol.sim.launch import SimProcess

    with SimProcess("--latency", "0.2", "--p429", "0.05") as sim:
        row = _cell(sim.base_url, 0.2, 64, 1500 if quick else 3200)
    return row


# -- overload ---------------------------------------------------------------------------------------------

def overload(quick: bool) -> dict[str, Any]:
    from evol.sim.launch import SimProcess

    seconds = 10 if quick else 25
    with SimProcess("--latency", "0.1", "--capacity", "32", "--overload", "429") as sim:
        with tempfile.TemporaryDirectory() as tmp:
            out = asyncio.run(_drive(sim.base_url, 64, int(seconds * 32 / 0.1), "aiohttp", Path(tmp) / "c.sqlite",
                                     sample=True, warmup=False))
        import httpx

        counts = httpx.get(sim.base_url.removesuffix("/v1") + "/stats").json()["counts"]
    trace = out.pop("trace")
    settled = [limit for t, limit in trace if t >= trace[-1][0] / 2]
    mean = sum(settled) / len(settled)
    return {"capacity": 32, "cap": 64, "latency_s": 0.1, **out, "refused_429": counts.get("overload_429", 0),
            "settled_mean_limit": round(mean, 2), "settled_min": round(min(settled), 2),
            "settled_max": round(max(settled), 2), "settled_ratio": round(mean / 32, 3),
            "trace": [(round(t, 1), round(v, 2)) for t, v in trace[:: max(1, len(trace) // 60)]]}


# -- pipeline runs ----------------------------------------------------------------------------------------

def _job_config(tmp: Path, n: int, concurrency: int, rounds: int, answer_seeds: bool,
                skip_rules: list[str] | None = None) -> Path:
    """The demo recipe with the job's sizes, built through the config model (a renamed key fails loudly)."""
    from evol.config import load_config, to_toml

    cfg = load_config(REPO / "pipelines" / "demo.toml", {
        "limit": n, "rounds": rounds, "endpoint.concurrency": concurrency, "seeds.answer": answer_seeds,
        "seeds.paths": [str(REPO / p) for p in read_toml(REPO / "pipelines" / "demo.toml")["seeds"]["paths"]],
        "dedup.enabled": False, "decontam.enabled": False, "eliminate.skip": skip_rules})
    path = tmp / "job.toml"
    path.write_text(to_toml(cfg))
    return path


def _evol_run(config: Path, out: Path, url: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(config), "--out", str(out), "--base-url", url,
           "--model", "evol-sim", "--no-cache"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"evol run failed: {proc.stderr[-1000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    job = sum(r["seconds"] for r in manifest["rounds"])
    usage = manifest["usage"]
    return {"wall_seconds": round(wall, 2), "job_seconds": round(job, 2), "rows": manifest["kept_total"],
            "calls": sum(r["calls"] for r in usage), "attempts": sum(r["attempts"] for r in usage),
            "failures": sum(r["failures"] for r in usage),
            "errors": {k: sum(r["errors"].get(k, 0) for r in usage) for r in usage for k in r["errors"]}}


def faults(quick: bool) -> dict[str, Any]:
    from evol.sim.launch import SimProcess

    n = 40 if quick else 100
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        config = _job_config(tmp, n, 64, 2, True)
        with SimProcess("--latency", "0.05") as sim:
            clean = _evol_run(config, tmp / "clean", sim.base_url)
        flags = ("--latency", "0.05", "--p429", "0.05", "--p500", "0.02", "--pdrop", "0.01", "--pmalformed", "0.01")
        with SimProcess(*flags) as sim:
            faulty = _evol_run(config, tmp / "faulty", sim.base_url)
        same = (tmp / "clean" / "train.json").read_bytes() == (tmp / "faulty" / "train.json").read_bytes()
    return {"seeds": n, "rounds": 2, "faults": " ".join(flags[2:]), "clean": clean, "faulty": faulty,
            "train_json_identical": same}


# -- report -----------------------------------------------------------------------------------------------

def markdown(res: dict[str, Any]) -> str:
    lines = ["# LLM layer benchmarks", "",
             f"{res['machine']}; one run ({res['date']}, load average {res['load_average_at_start']} at start, "
             f"{res['load_average_at_end']} at end: the machine is shared). Sim and client are separate processes "
             "on the same "
             "machine. Ideal = min(C, capacity) / latency. Throughput is timed after one untimed wave of C "
             "requests (connections open), with the response cache on; client CPU = process CPU time / requests.",
             "",
             "## Throughput (default transport: one aiohttp session)", "",
             "| latency | C | transport | achieved req/s | ideal req/s | achieved / ideal | client CPU ms/req |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for r in res["throughput"]:
        lines.append(f"| {r['latency_s']} s | {r['concurrency']} | {r['transport']} | {r['rps']} | {r['ideal_rps']} | "
                     f"**{r['ratio']:.3f}** | {r['cpu_ms_per_req']} |")
    r = res["random_429"]
    lines += ["", f"With 5% random 429s (0.2 s, C=64): {r['ratio']:.3f} of ideal, final limit "
                  f"{r['limit']['limit']} of {r['limit']['cap']} ({r['limit']['cuts']} cuts, "
                  f"{r['limit']['cuts_undone']} undone as load-independent), {r['failures']} failures.", ""]
    o = res["overload"]
    lines += ["## Overload (--capacity 32 --overload 429, cap 64, 0.1 s)", "",
              f"Limit over the second half: mean **{o['settled_mean_limit']}** ({o['settled_ratio']:.3f} of 32), "
              f"range {o['settled_min']}..{o['settled_max']}; {o['limit']['cuts']} cuts; {o['refused_429']} refusals "
              f"retried; **{o['failures']} failed** of {o['n']}; {o['rps']} req/s = "
              f"{o['rps'] / 320:.3f} of the capacity's 320 req/s.", ""]
    f = res["faults"]
    lines += ["## Faults", "",
              f"{f['seeds']} seeds, {f['rounds']} rounds, `{f['faults']}`: train.json identical to the clean run: "
              f"**{f['train_json_identical']}**; items failed: {f['faulty']['failures']}; failed attempts retried: "
              f"{f['faulty']['errors']}.", ""]
    if res.get("peers"):
        lines += peers_markdown(res["peers"])
    return "\n".join(lines) + "\n"


def main(quick: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    res: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                                      f"{platform.python_version()}", "date": time.strftime("%Y-%m-%d %H:%M"),
                           "quick": quick, "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                                    capture_output=True, text=True).stdout.strip()}
    print("bench_llm: throughput", flush=True)
    res["throughput"] = throughput(quick)
    print("bench_llm: random 429s", flush=True)
    res["random_429"] = random_429(quick)
    print("bench_llm: overload", flush=True)
    res["overload"] = overload(quick)
    print("bench_llm: faults", flush=True)
    res["faults"] = faults(quick)
    print("bench_llm: the long job through evol, distilabel and curator", flush=True)
    res["peers"] = run_peers(quick, _job_config)
    res["seconds"] = round(time.perf_counter() - started, 1)
    res["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("llm.json", res)
    (RESULTS / "llm.md").write_text(markdown(res))
    print(markdown(res))
    return res


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
