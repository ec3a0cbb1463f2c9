"""One long job through evol and its peers, side by side in one run, against the same server (bench_llm calls it).

The job: N seeds x (evolve + answer) = 2N requests at concurrency C, one round, at two sim latencies. Each tool
runs as its own process, in its own venv (bench/.venv-distilabel, bench/.venv-curator: created here when
missing), with its own recommended settings for that concurrency:

- evol: ``evol run`` on the demo recipe cut to the job (one round, seeds not answered, dedup and decontamination
  off and no elimination rule, so every evolution is answered as in the peers' jobs), ``endpoint.concurrency =
  C``, ``--no-cache`` (its default cache would answer a repeated prompt without a call: the sim evolves a few
  seeds to the same text, and the peers call for each);
- distilabel 1.5.3: ``EvolInstruct`` (one evolution, ``generate_answers=True``) with ``input_batch_size = C``
  and a loader batch of C: distilabel sends one batch's requests together;
- bespokelabs-curator 0.1.31: one ``curator.LLM`` per step, ``max_concurrent_requests = C``, rate limits high
  enough never to bind, a fresh cache folder (bench/curator_job.py).

The same accounting for all, taken outside the tool: process wall time; time to first request (the first poll
of the server's /stats that counts one, every 25 ms, from the process start: the start-up); requests served,
counted at the server; client CPU seconds (the process and its children, from getrusage). The ideal job time is
2 x latency x N / C (two sequential calls per seed, C in flight); ratios are taken to evol's.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "data" / "seeds" / "code_seeds.jsonl"
VENVS = {
    "distilabel": (REPO / "bench" / ".venv-distilabel", ["distilabel[openai]==1.5.3", "requests"]),
    "curator": (REPO / "bench" / ".venv-curator", ["bespokelabs-curator==0.1.31"]),
}
TOOLS = ("evol", "distilabel", "curator")
POLL_S = 0.025
ELIMINATION_RULES = ("empty_evolution", "copied_prompt_words", "length", "no_information_gain", "lost_code_block")


def venv_python(tool: str) -> Path | None:
    """The tool's venv python, creating the venv (pinned version) when missing; None when it cannot be made."""
    venv, spec = VENVS[tool]
    python = venv / "bin" / "python"
    if python.exists():
        return python
    print(f"  installing {' '.join(spec)} into {venv.relative_to(REPO)} ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *spec], check=True, timeout=1800)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  cannot install {tool} ({exc}); it is left out", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        return None
    return python


def write_seeds(path: Path, n: int) -> Path:
    """N distinct seed instructions: the shipped seeds, numbered copies past their count (no cache hit, no dup)."""
    base = [json.loads(line)["instruction"] for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = base[i % len(base)] + ("" if i < len(base) else f" (Variant {i // len(base)}.)")
            fh.write(json.dumps({"instruction": text, "input": ""}) + "\n")
    return path


class ServerCounter:
    """Polls the sim's /stats in a thread: when the first request arrived, and how many were served."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.removesuffix("/v1") + "/stats"
        self.client = httpx.Client(timeout=5)
        self.before = self.counts()
        self.first_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def counts(self) -> dict[str, int]:
        return self.client.get(self.url).json()["counts"]

    def _poll(self) -> None:
        while not self._stop.is_set():
            if self.counts().get("requests", 0) > self.before.get("requests", 0):
                self.first_at = time.perf_counter()
                return
            time.sleep(POLL_S)

    def start(self) -> ServerCounter:
        self._thread.start()
        return self

    def finish(self) -> dict[str, int]:
        """Stop polling; the counts served since the start."""
        self._stop.set()
        self._thread.join()
        after = self.counts()
        self.client.close()
        return {k: after.get(k, 0) - self.before.get(k, 0) for k in after}


def measure(cmd: list[str], base_url: str, env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run one job process and account for it the same way whatever the tool."""
    counter = ServerCounter(base_url)
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    counter.start()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = counter.finish()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    first = (counter.first_at - started) if counter.first_at else None
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    ok = served.get("ok", 0)
    return {
        "wall_s": round(wall, 2),
        "startup_s": round(first, 2) if first is not None else None,
        "job_s": round(wall - first, 2) if first is not None else None,
        "requests_served": ok,
        "server_counts": served,
        "client_cpu_s": round(cpu, 2),
        "client_cpu_ms_per_request": round(cpu / ok * 1000, 3) if ok else None,
        "output_tail": proc.stdout.strip().splitlines()[-1][-300:] if proc.stdout.strip() else "",
    }


def _evol_cmd(tmp: Path, seeds: Path, n: int, concurrency: int, base_url: str, job_config: Any) -> list[str]:
    # The same job as the peers': every evolution is answered (no elimination rule drops one before its answer).
    config = job_config(tmp, n, concurrency, 1, False, sorted(ELIMINATION_RULES))
    return [sys.executable, "-m", "evol", "run", "--config", str(config), "--seeds", str(seeds), "--limit", str(n),
            "--out", str(tmp / "evol-run"), "--base-url", base_url, "--model", "evol-sim", "--no-cache"]


def _job_cmd(tool: str, python: Path, tmp: Path, seeds: Path, n: int, concurrency: int, base_url: str) -> list[str]:
    work = tmp / f"{tool}-work"
    work.mkdir()
    script = REPO / "bench" / f"{tool}_job.py"
    return [str(python), str(script), base_url, str(seeds), str(n), str(concurrency), str(work)]


def run_peers(quick: bool, job_config: Any, latencies: tuple[float, ...] = (0.05, 0.5)) -> dict[str, Any]:
    """Every tool at every latency, one after another against one sim per latency; ratios to evol."""
    from evol.sim.launch import SimProcess

    n, concurrency = (200, 64) if quick else (2000, 64)
    pythons = {"evol": Path(sys.executable), **{t: venv_python(t) for t in ("distilabel", "curator")}}
    rows = []
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore", "OPENAI_API_KEY": "sk-no-key-needed"}
    for latency in latencies:
        ideal = 2 * latency * n / concurrency
        with tempfile.TemporaryDirectory() as tmp_s, SimProcess("--latency", str(latency)) as sim:
            tmp = Path(tmp_s)
            seeds = write_seeds(tmp / "seeds.jsonl", n)
            for tool in TOOLS:
                python = pythons[tool]
                if python is None:
                    continue
                load = [round(x, 2) for x in os.getloadavg()]
                if tool == "evol":
                    cmd = _evol_cmd(tmp, seeds, n, concurrency, sim.base_url, job_config)
                else:
                    cmd = _job_cmd(tool, python, tmp, seeds, n, concurrency, sim.base_url)
                row = {"tool": tool, "version": NAMES[tool], "latency_s": latency, "seeds": n,
                       "concurrency": concurrency, "ideal_s": round(ideal, 3), "load_average_before": load,
                       **measure(cmd, sim.base_url, env, timeout=1800)}
                row["wall_over_ideal"] = round(row["wall_s"] / ideal, 2)
                row["job_over_ideal"] = round(row["job_s"] / ideal, 2) if row["job_s"] is not None else None
                rows.append(row)
                print(f"  {tool} at {latency}s: wall {row['wall_s']} s (start-up {row['startup_s']} s), "
                      f"{row['requests_served']} served, {row['client_cpu_s']} CPU s", flush=True)
    for row in rows:
        ref = next(r for r in rows if r["tool"] == "evol" and r["latency_s"] == row["latency_s"])
        row["wall_ratio_to_evol"] = round(row["wall_s"] / ref["wall_s"], 2)
        row["job_ratio_to_evol"] = round(row["job_s"] / ref["job_s"], 2) if row["job_s"] and ref["job_s"] else None
        row["cpu_ratio_to_evol"] = round(row["client_cpu_s"] / ref["client_cpu_s"], 2)
    return {"seeds": n, "concurrency": concurrency, "requests": 2 * n, "rows": rows}


NAMES = {"evol": "evol (this tree)", "distilabel": "distilabel 1.5.3", "curator": "bespokelabs-curator 0.1.31"}


def markdown(res: dict[str, Any]) -> list[str]:
    """The peers section of llm.md."""
    lines = [f"## One long job through evol, distilabel and curator ({res['seeds']} seeds x (evolve + answer) = "
             f"{res['requests']} requests, concurrency {res['concurrency']})", "",
             "| latency | tool | wall s | start-up s | job s | ideal s | wall / ideal | job / ideal | served | "
             "client CPU s | CPU ms/req | wall vs evol | job vs evol | CPU vs evol |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['latency_s']} s | {NAMES[r['tool']]} | {r['wall_s']} | {r['startup_s']} | "
                     f"{r['job_s']} | {r['ideal_s']} | {r['wall_over_ideal']} | {r['job_over_ideal']} | "
                     f"{r['requests_served']} | {r['client_cpu_s']} | {r['client_cpu_ms_per_request']} | "
                     f"**{r['wall_ratio_to_evol']}x** | {r['job_ratio_to_evol']}x | {r['cpu_ratio_to_evol']}x |")
    short = sorted({res["requests"] - r["requests_served"] for r in res["rows"] if r["tool"] == "evol"})
    lines += ["", "start-up = process start to the first request the server counted (polled every 25 ms); job = "
              "wall - start-up; served = successful replies counted by the server (a tool's own probes included: "
              "curator sends one per step to read rate-limit headers); client CPU = the tool's process and its "
              "children (getrusage), start-up included. Ideal = 2 x latency x seeds / concurrency. Ratios > 1: "
              "slower (or more CPU) than evol. Each tool ran once, in its own venv, one after another against the "
              "same sim; the machine is shared (load average before each run in llm.json)."]
    if short and short[-1] > 0:
        lines.append(f"evol served {' / '.join(map(str, short))} fewer than {res['requests']}: the sim evolves some "
                     "seeds to the same text (6 of 200 in a check run), and evol's client sends one request for "
                     "identical requests in flight together (evol/llm/client.py; the peers send each): under 1% of "
                     "the job.")
    return lines + [""]
