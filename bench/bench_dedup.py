"""Dedup and decontamination benchmark on generated instruction-like corpora with planted near-duplicates.

Each corpus size runs in a fresh subprocess so its peak RSS is its own. Ground truth is exact Jaccard
of word 5-gram sets computed by an independent pure-Python tokenizer. Writes bench/results/dedup.json
and bench/results/dedup.md. ``python -m bench.bench_dedup [--sizes 100000,1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.dedup_corpus import THRESHOLD, WORD_RE, jaccard, make_corpus
from bench.dedup_peers import markdown as dedup_peers_markdown
from bench.provenance import write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SIZES = (100_000, 1_000_000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def signature_speed(records: list[dict]) -> dict:
    """evol's signatures on every document of the corpus, one core."""
    from bench.dedup_peers import evol_signatures

    texts = [r["instruction"] for r in records]
    t, cpu = time.perf_counter(), time.process_time()
    sigs = evol_signatures(texts)
    out = {
        "signature_docs_measured": len(texts),
        "signature_docs_per_s": round(len(texts) / (time.perf_counter() - t)),
        "signature_docs_per_cpu_s": round(len(texts) / (time.process_time() - cpu)),
    }
    return out | lsh_speed(sigs)


def lsh_speed(sigs: np.ndarray) -> dict:
    """Band keys plus numpy LSH insert and query on every document's (precomputed) signature."""
    from bench.dedup_peers import evol_lsh
    from evol.dedup.config import DedupConfig

    bands, rows = DedupConfig().band_shape()
    t = time.perf_counter()
    evol_lsh(sigs)
    return {"lsh_docs_measured": len(sigs), "lsh_docs_per_s": round(len(sigs) / (time.perf_counter() - t)),
            "bands": bands, "rows": rows}


def quality(records: list[dict], pairs: list[tuple[int, int]], verdicts: list) -> dict:
    """Precision of every removal and recall of planted pairs, against exact Jaccard by the reference."""
    from datasketch.lsh import _optimal_param

    from evol.dedup.config import DedupConfig
    from evol.dedup.minhash import candidate_probability

    by_id = {r["id"]: r["instruction"] for r in records}
    removed = [(r, v) for r, v in zip(records, verdicts, strict=True) if v is not None]
    correct = sum(jaccard(r["instruction"], by_id[v["dup_of"]]) >= THRESHOLD - 1e-9 for r, v in removed)
    truth = [(v, jaccard(records[v]["instruction"], records[b]["instruction"])) for v, b in pairs]
    positives = [(v, j) for v, j in truth if j >= THRESHOLD]
    found = sum(verdicts[v] is not None for v, _ in positives)
    band = [j for _, j in positives if j < 0.8]
    ds_b, ds_r = _optimal_param(THRESHOLD, 128, 0.5, 0.5)
    bands, rows = DedupConfig().band_shape()
    return {
        "removed": len(removed),
        "precision": round(correct / max(1, len(removed)), 4),
        "planted_pairs": len(pairs),
        "planted_positive_pairs": len(positives),
        "recall": round(found / max(1, len(positives)), 4),
        "pairs_0.7_0.8": len(band),
        "expected_recall_0.7_0.8_ours": round(float(np.mean([candidate_probability(j, bands, rows) for j in band])), 4),
        "expected_recall_0.7_0.8_datasketch_default": round(
            float(np.mean([candidate_probability(j, ds_b, ds_r) for j in band])), 4
        ),
        "datasketch_default_bands_rows": [ds_b, ds_r],
    }


def decontam_speed(records: list[dict]) -> dict:
    """Throughput on corpus records, catch rate of 20-word verbatim HumanEval spans, flags on the seeds."""
    from evol.decontam import DecontamConfig, Decontaminator

    deco = Decontaminator(DecontamConfig())
    sample = records[:100_000]
    t, cpu = time.perf_counter(), time.process_time()
    flagged = sum(h is not None for h in deco.check_many(sample))
    speed = len(sample) / (time.perf_counter() - t)
    speed_cpu = len(sample) / (time.process_time() - cpu)
    rng = np.random.default_rng(3)
    probes, want = [], []
    for k in range(2000):
        item = deco.items[int(rng.integers(0, len(deco.items)))]
        words = WORD_RE.findall(item.text.lower())
        start = int(rng.integers(0, max(1, len(words) - 20)))
        host = records[k]["instruction"].split()
        cut = int(rng.integers(0, len(host)))
        probes.append({"instruction": " ".join(host[:cut] + words[start : start + 20] + host[cut:])})
        want.append(item.item_id)
    hits = deco.check_many(probes)
    caught = sum(h is not None and h["benchmark_id"] == w for h, w in zip(hits, want, strict=True))
    seeds = [
        json.loads(line) for f in sorted((ROOT / "data" / "seeds").glob("*.jsonl")) for line in f.open() if line.strip()
    ]
    seed_flags = sum(h is not None for h in deco.check_many(seeds))
    return {
        "decontam_docs_per_s": round(speed),
        "decontam_docs_per_cpu_s": round(speed_cpu),
        "corpus_flagged": flagged,
        "span_catch_rate": caught / len(probes),
        "seeds": len(seeds),
        "seeds_flagged": seed_flags,
    }


def run_size(n: int) -> dict:
    """Everything for one corpus size (run inside its own subprocess)."""
    from evol.dedup import DedupConfig, DedupIndex
    from evol.dedup.minhash import permutations

    load_before = round(os.getloadavg()[0], 2)
    t = time.perf_counter()
    records, pairs = make_corpus(n)
    gen_s = time.perf_counter() - t
    permutations(128, 1)  # import datasketch/scipy outside the timed region
    rss_before = peak_rss_mb()
    t, cpu = time.perf_counter(), time.process_time()
    verdicts = DedupIndex(DedupConfig()).process(records)
    dedup_s = time.perf_counter() - t
    dedup_cpu_s = time.process_time() - cpu
    out = {
        "docs": n,
        "generate_s": round(gen_s, 1),
        "dedup_s": round(dedup_s, 1),
        "dedup_cpu_s": round(dedup_cpu_s, 1),
        "dedup_docs_per_s": round(n / dedup_s),
        "peak_rss_mb": round(peak_rss_mb()),
        "peak_rss_before_dedup_mb": round(rss_before),
    }
    out["load_avg_1m_before"] = load_before
    out["load_avg_1m_after_dedup"] = round(os.getloadavg()[0], 2)
    out.update(quality(records, pairs, verdicts))
    out.update(signature_speed(records))
    if n == min(SIZES):
        from bench.dedup_peers import compare

        out.update(decontam_speed(records))
        out["peers"] = compare([r["instruction"] for r in records])
    return out


def to_markdown(results: list[dict]) -> str:
    lines = [
        "# Dedup benchmark",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores; one process, one core for the timed loops. "
        "Wall-clock rates suffer when other work shares the machine (see the load average row); "
        "per-CPU-second rates much less.",
        "",
        "| metric | " + " | ".join(f"{r['docs']:,} docs" for r in results) + " | target |",
        "| --- | " + " | ".join("---" for _ in results) + " | --- |",
    ]
    rows = [
        ("signatures: documents measured", "signature_docs_measured", "all"),
        ("signatures docs/s (wall)", "signature_docs_per_s", ""),
        ("signatures docs per CPU-second (per core)", "signature_docs_per_cpu_s", ">= 30,000"),
        ("LSH: documents measured", "lsh_docs_measured", "all"),
        ("LSH docs/s (band keys + query + insert)", "lsh_docs_per_s", ""),
        ("full dedup seconds (wall)", "dedup_s", "<= 120 s at 1M"),
        ("full dedup CPU seconds", "dedup_cpu_s", ""),
        ("1-minute load average before the run", "load_avg_1m_before", ""),
        ("1-minute load average after dedup", "load_avg_1m_after_dedup", ""),
        ("peak RSS MB", "peak_rss_mb", "<= 6,144 MB"),
        ("precision (removals with Jaccard >= 0.7)", "precision", ">= 0.99"),
        ("recall (planted pairs with Jaccard >= 0.7)", "recall", ">= 0.95"),
        ("planted positive pairs", "planted_positive_pairs", ""),
        ("expected recall 0.7-0.8, chosen bands", "expected_recall_0.7_0.8_ours", ""),
        ("expected recall 0.7-0.8, datasketch default", "expected_recall_0.7_0.8_datasketch_default", ""),
        ("decontam docs/s (wall)", "decontam_docs_per_s", ""),
        ("decontam docs per CPU-second", "decontam_docs_per_cpu_s", ">= 30,000"),
        ("20-word verbatim span catch rate", "span_catch_rate", ">= 0.95"),
        ("shipped seeds flagged", "seeds_flagged", "0"),
    ]
    for label, key, target in rows:
        cells = [f"{r[key]:,}" if isinstance(r.get(key), int) else str(r.get(key, "")) for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")
    lines.append("")
    peers = next((r["peers"] for r in results if "peers" in r), None)
    if peers:
        lines += dedup_peers_markdown(peers)
    return "\n".join(lines) + "\n"


def main(sizes: tuple[int, ...] = SIZES) -> list[dict]:
    """Run every size in a fresh subprocess and write the results."""
    results = []
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_dedup", "--worker", str(n)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            raise SystemExit(f"bench_dedup worker for {n} docs failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_results("dedup.json", results)
    (RESULTS / "dedup.md").write_text(to_markdown(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_size(args.worker)))
    else:
        main(tuple(int(s) for s in args.sizes.split(",")))
