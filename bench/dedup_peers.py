"""evol's MinHash signatures and LSH against datasketch at its best, on the same documents (bench_dedup calls it).

datasketch's three ways to build signatures, at its fastest documented settings: 128 permutations and, instead of
its default sha1-based 32-bit hash, xxhash's ``xxh32_intdigest`` through the ``hashfunc`` parameter its docs offer
for speed (``HASHFUNC`` below; xxhash ships with ``datasets``), on word 5-gram shingles of the same texts evol
hashes (lower-cased, split on whitespace):

- per-token: a new ``MinHash`` per document and ``update`` once per shingle (its tutorial's loop);
- ``update_batch``: a new ``MinHash`` per document, all its shingles in one call;
- ``MinHash.bulk``: every document's shingles in one call (its fastest documented path);

and ``MinHashLSH`` (threshold 0.7, 128 permutations, its own band choice) for the index: insert + query per
document on the ``bulk`` signatures, against evol's band tables on evol's signatures, same documents. Rates are
docs per CPU-second of this process (load on a shared machine does not change them much) and per wall second;
each tool's one-time set-up (imports, permutation tables) is warmed up on 100 documents first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from xxhash import xxh32_intdigest

HASHFUNC = xxh32_intdigest  # datasketch's `hashfunc`: a 32-bit integer hash of bytes, faster than its sha1 default

SIGNATURE_SAMPLE = 5_000  # per-token datasketch runs at a few hundred docs/s: 5,000 docs keep it to seconds
LSH_SAMPLE = 20_000


def _rate(n: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(docs per wall second, docs per CPU second) of one call."""
    t, cpu = time.perf_counter(), time.process_time()
    fn()
    return n / (time.perf_counter() - t), n / max(1e-9, time.process_time() - cpu)


def _shingles(text: str) -> list[bytes]:
    words = text.lower().split()
    return [" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)]


def evol_signatures(texts: list[str]) -> np.ndarray:
    """evol's signatures, tokenizing included, in the batches the dedup stage uses."""
    from evol.dedup.minhash import signatures
    from evol.dedup.tokens import shingles32, tokenize

    out = []
    for start in range(0, len(texts), 8192):
        part = texts[start : start + 8192]
        sh, doc = shingles32(tokenize(part), 5)
        out.append(signatures(sh, doc, len(part), 128, 1))
    return np.concatenate(out)


def signature_rates(texts: list[str]) -> dict[str, dict[str, float]]:
    """Docs/s of evol and datasketch's three paths on the same texts (shingling included for all)."""
    from datasketch import MinHash

    def per_token() -> None:
        for text in texts:
            m = MinHash(num_perm=128, seed=1, hashfunc=HASHFUNC)
            for s in _shingles(text):
                m.update(s)

    def update_batch() -> None:
        for text in texts:
            MinHash(num_perm=128, seed=1, hashfunc=HASHFUNC).update_batch(_shingles(text))

    def bulk() -> None:
        MinHash.bulk([_shingles(t) for t in texts], num_perm=128, seed=1, hashfunc=HASHFUNC)

    paths = {"evol": lambda: evol_signatures(texts), "datasketch_per_token": per_token,
             "datasketch_update_batch": update_batch, "datasketch_bulk": bulk}
    evol_signatures(texts[:100])  # one-time set-up (imports, permutation tables) out of the timed region
    MinHash.bulk([_shingles(t) for t in texts[:100]], num_perm=128, seed=1, hashfunc=HASHFUNC)
    out = {}
    for name, fn in paths.items():
        wall, cpu = _rate(len(texts), fn)
        out[name] = {"docs_per_s": round(wall), "docs_per_cpu_s": round(cpu)}
    for name in paths:
        out[name]["evol_speedup_cpu"] = round(out["evol"]["docs_per_cpu_s"] / out[name]["docs_per_cpu_s"], 1)
    return out


def evol_lsh(sigs: np.ndarray) -> None:
    """evol's band tables: band keys, query, insert, in the dedup stage's batches."""
    from evol.dedup.config import DedupConfig
    from evol.dedup.lsh import BandTables
    from evol.dedup.minhash import band_keys

    bands, rows = DedupConfig().band_shape()
    tables = BandTables(bands)
    for start in range(0, len(sigs), 4096):
        keys = band_keys(sigs[start : start + 4096], bands, rows)
        tables.query(keys)
        tables.insert(keys, np.arange(start, start + len(keys)))


def lsh_rates(texts: list[str]) -> dict[str, dict[str, float]]:
    """Index docs/s (query + insert per document, signatures precomputed) of evol and datasketch's MinHashLSH."""
    from datasketch import MinHash, MinHashLSH

    sigs = evol_signatures(texts)
    hashes = MinHash.bulk([_shingles(t) for t in texts], num_perm=128, seed=1, hashfunc=HASHFUNC)

    def datasketch_lsh() -> None:
        lsh = MinHashLSH(threshold=0.7, num_perm=128)
        for i, m in enumerate(hashes):
            lsh.query(m)
            lsh.insert(i, m, check_duplication=False)

    out = {}
    for name, fn in {"evol": lambda: evol_lsh(sigs), "datasketch_minhashlsh": datasketch_lsh}.items():
        wall, cpu = _rate(len(texts), fn)
        out[name] = {"docs_per_s": round(wall), "docs_per_cpu_s": round(cpu)}
    out["datasketch_minhashlsh"]["evol_speedup_cpu"] = round(
        out["evol"]["docs_per_cpu_s"] / out["datasketch_minhashlsh"]["docs_per_cpu_s"], 1
    )
    return out


def compare(texts: list[str]) -> dict[str, object]:
    """The whole side-by-side, on the first documents of the corpus."""
    return {
        "signature_sample_docs": min(SIGNATURE_SAMPLE, len(texts)),
        "signatures": signature_rates(texts[:SIGNATURE_SAMPLE]),
        "lsh_sample_docs": min(LSH_SAMPLE, len(texts)),
        "lsh": lsh_rates(texts[:LSH_SAMPLE]),
    }


def markdown(res: dict) -> list[str]:
    """The peers section of dedup.md."""
    sig, lsh = res["signatures"], res["lsh"]
    lines = [
        f"## evol vs datasketch at its best, same documents ({res['signature_sample_docs']:,} docs for signatures, "
        f"{res['lsh_sample_docs']:,} for the index)",
        "",
        "| path | docs/s (wall) | docs per CPU-second | evol's speed-up (wall) | evol's speed-up (CPU) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "evol": "evol signatures (vectorised)",
        "datasketch_per_token": "datasketch `MinHash.update` per token",
        "datasketch_update_batch": "datasketch `MinHash.update_batch` per document",
        "datasketch_bulk": "datasketch `MinHash.bulk`",
    }
    rows = [(names[k], sig[k], sig["evol"]) for k in names]
    rows += [("evol LSH (band keys + query + insert)", lsh["evol"], lsh["evol"]),
             ("datasketch `MinHashLSH` (query + insert)", lsh["datasketch_minhashlsh"], lsh["evol"])]
    for label, r, ref in rows:
        if r is ref:
            lines.append(f"| {label} | {r['docs_per_s']:,} | {r['docs_per_cpu_s']:,} | | |")
        else:
            wall = ref["docs_per_s"] / r["docs_per_s"]
            lines.append(f"| {label} | {r['docs_per_s']:,} | {r['docs_per_cpu_s']:,} | {wall:.1f}x | "
                         f"**{r['evol_speedup_cpu']}x** |")
    lines += ["", "Signatures include shingling for every path (datasketch: lower-case, whitespace words, 5-grams "
              "joined; evol: its vectorised tokenizer). Index rates exclude signatures.", ""]
    return lines
