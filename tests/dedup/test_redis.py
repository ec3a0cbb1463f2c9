"""A shared index in a real Redis: workers (processes) see each other's records, exact copies race safely."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evol.dedup import DedupConfig, DedupIndex
from evol.dedup.redis_store import basename, connect
from evol.errors import ConfigError, DataError

from .corpus import corpus, mutate, sentence

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("redis_worker.py")


def shared(storage: dict[str, Any], **kw: Any) -> DedupConfig:
    return DedupConfig(backend="datasketch", storage_config=storage, **kw)


def start_worker(
    storage: dict[str, Any], records: list[dict], job_file: Path, go: Path | None = None
) -> subprocess.Popen:
    job = {"config": {"backend": "datasketch", "storage_config": storage}, "records": records,
           "go": str(go) if go else None}
    job_file.write_text(json.dumps(job))
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(job_file)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_ready(proc: subprocess.Popen) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")


def verdicts(proc: subprocess.Popen) -> list[dict | None]:
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_worker_processes_find_each_others_near_dups(
    rng: random.Random, redis_storage: dict, tmp_path: Path
) -> None:
    records, pairs = corpus(rng, 120)
    by_id = {r["id"]: r for r in records}
    half = {f"b{i}" for i in range(60)}
    # Worker A: the first half's bases, the second half's variants; worker B: the rest.
    a = [r for r in records if (f"b{r['id'][1:]}" in half) == r["id"].startswith("b")]
    b = [r for r in records if r not in a]
    go = tmp_path / "go"  # both processes start together (imports overlap); B begins once A is done
    worker_a = start_worker(redis_storage, a, tmp_path / "a.json")
    worker_b = start_worker(redis_storage, b, tmp_path / "b.json", go)
    wait_ready(worker_a)
    out_a = verdicts(worker_a)
    go.touch()
    wait_ready(worker_b)
    out_b = verdicts(worker_b)
    assert out_a == [None] * len(a)  # nothing of A's had a match yet
    got = dict(zip([r["id"] for r in b], out_b, strict=True))
    checked = 0
    for variant, base, j in pairs:
        mine, theirs = (variant, base) if base in half else (base, variant)  # B's record, A's kept record
        assert by_id[theirs] in a and by_id[mine] in b
        if j >= 0.7:
            checked += 1
            assert got[mine] is not None and got[mine]["dup_of"] == theirs, (mine, j)
            assert got[mine]["similarity"] == pytest.approx(j, abs=1e-3)
        else:
            assert got[mine] is None, (mine, j)
    assert checked >= 5 and checked < len(pairs)
    assert out_a + out_b == DedupIndex(DedupConfig()).process(a + b)  # == one worker doing it all


def test_workers_taking_turns_equal_one_worker(
    rng: random.Random, redis_storage: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, _ = corpus(rng, 240)
    rng.shuffle(records)
    records += [dict(r, id=f"copy-{r['id']}") for r in records[:20]]  # exact copies across batches
    whole = DedupIndex(DedupConfig()).process(records)
    monkeypatch.setattr("evol.dedup.index.CHUNK_DOCS", 32)  # several chunks per batch
    workers = [DedupIndex(shared(redis_storage)), DedupIndex(shared(redis_storage))]
    turns: list[dict | None] = []
    for k, start in enumerate(range(0, len(records), 70)):
        turns += workers[k % 2].process(records[start : start + 70])
    assert turns == whole
    assert len(workers[0]) == len(workers[1]) == sum(v is None for v in whole)
    assert records[0]["id"] in workers[1] and "nope" not in workers[1]


def test_simultaneous_workers_keep_one_exact_copy(rng: random.Random, redis_storage: dict, tmp_path: Path) -> None:
    text = " ".join(sentence(rng, 40))
    own = [[{"id": f"{w}{i}", "instruction": " ".join(sentence(rng, 40))} for i in range(40)] for w in "ab"]
    go = tmp_path / "go"
    procs = [start_worker(redis_storage, [{"id": f"{w}-copy", "instruction": text}, *own[k]], tmp_path / w, go)
             for k, w in enumerate("ab")]
    for proc in procs:
        wait_ready(proc)
    go.touch()
    first_a, first_b = (verdicts(proc)[0] for proc in procs)
    assert (first_a is None) != (first_b is None)  # exactly one copy kept
    loser = first_a or first_b
    assert loser is not None and loser["dup_of"] == ("a-copy" if first_a is None else "b-copy")
    assert loser["similarity"] == 1.0
    assert len(DedupIndex(shared(redis_storage))) == 81


def test_lost_exact_claim_becomes_exact_dup_of_the_winner(
    rng: random.Random, redis_storage: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker B looked before worker A indexed the same text: B's claim of the exact key loses."""
    words = sentence(rng, 80)
    worker_a, worker_b = DedupIndex(shared(redis_storage)), DedupIndex(shared(redis_storage))
    assert worker_a.process([{"id": "x", "instruction": " ".join(words)}]) == [None]
    monkeypatch.setattr(worker_b.store, "exact_ids", lambda keys: [None] * len(keys))  # a stale look-up
    empty = np.empty(0, np.int64)
    monkeypatch.setattr(worker_b.tables, "query", lambda keys, sigs=None: (empty, empty))
    near = " ".join(mutate(rng, words, 1))
    out = worker_b.process([{"id": "y", "instruction": " ".join(words)}, {"id": "z", "instruction": near}])
    assert out[0] == {"reason": "exact_dup", "dup_of": "x", "similarity": 1.0}
    assert out[1] is not None and out[1]["reason"] == "near_dup" and out[1]["dup_of"] == "x"  # not the loser y
    assert len(worker_a) == 1 and "y" not in worker_a


def test_other_settings_on_one_index_are_config_errors(redis_storage: dict) -> None:
    DedupIndex(shared(redis_storage)).process([{"id": "1", "instruction": "one two three four five six"}])
    with pytest.raises(ConfigError, match="seed"):
        DedupIndex(shared(redis_storage, seed=2))
    with pytest.raises(ConfigError, match="bands"):
        DedupIndex(shared(redis_storage, threshold=0.5))
    with pytest.raises(ConfigError, match="cannot reach Redis"):
        DedupIndex(shared({**redis_storage, "redis": {"host": "127.0.0.1", "port": 1, "retry": None}}))


def test_save_writes_a_marker_that_load_checks(rng: random.Random, redis_storage: dict, tmp_path: Path) -> None:
    records, _ = corpus(rng, 100)
    whole = DedupIndex(DedupConfig()).process(records)
    index = DedupIndex(shared(redis_storage))
    first = index.process(records[:60])
    marker = tmp_path / "index.npz"
    index.save(marker)
    assert marker.stat().st_size < 2000  # the data stays in Redis
    resumed = DedupIndex.load(shared(redis_storage), marker)
    assert len(resumed) == len(index) and first + resumed.process(records[60:]) == whole
    for change, match in (({"ngram": 4}, "ngram"), ({"fields": ["output"]}, "fields")):
        with pytest.raises(ConfigError, match=match):
            DedupIndex.load(shared(redis_storage, **change), marker)
    with pytest.raises(ConfigError, match="lives in Redis"):
        DedupIndex.load(DedupConfig(), marker)
    with pytest.raises(ConfigError, match="basename"):
        DedupIndex.load(shared({**redis_storage, "basename": "other"}), marker)
    local = tmp_path / "local.npz"
    DedupIndex(DedupConfig()).save(local)
    with pytest.raises(ConfigError, match="in the file"):
        DedupIndex.load(shared(redis_storage), local)
    client = connect(redis_storage)
    client.delete(*client.keys(basename(redis_storage) + b"*"))  # as if Redis restarted without persistence
    with pytest.raises(DataError, match="lost data"):
        DedupIndex.load(shared(redis_storage), marker)


def test_redis_storage_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="basename"):
        DedupConfig(backend="datasketch", storage_config={"type": "redis", "redis": {"port": 6379}})
    with pytest.raises(ValueError, match="only"):
        DedupConfig(backend="datasketch", storage_config={"type": "cassandra"})
    assert not DedupConfig(backend="datasketch").shared()
