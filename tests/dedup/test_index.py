"""DedupIndex: known pairs, reasons and dup_of, keep-the-earlier order, incremental == one batch."""

from __future__ import annotations

import random

import pytest

from evol.dedup import DedupConfig, DedupIndex
from evol.errors import DataError
from tests.dedup.corpus import jaccard_sets

from .corpus import corpus, mutate, sentence, shingle_set


def test_known_pairs_are_found_with_exact_similarity(rng: random.Random) -> None:
    records, pairs = corpus(rng)
    verdicts = dict(zip([r["id"] for r in records], DedupIndex(DedupConfig()).process(records), strict=True))
    assert any(j < 0.7 for _, _, j in pairs) and any(j >= 0.7 for _, _, j in pairs)
    for variant, base, j in pairs:
        why = verdicts[variant]
        if j >= 0.7:
            assert why is not None, (variant, j)
            assert why["dup_of"] == base
            assert why["similarity"] == pytest.approx(j, abs=1e-3)
            assert why["reason"] == ("exact_dup" if j == 1.0 else "near_dup")
        else:
            assert why is None, (variant, j)
    assert all(verdicts[r["id"]] is None for r in records if r["id"].startswith("b"))


def test_exact_dup_after_normalization_and_reason_fields() -> None:
    recs = [
        {"id": "a", "instruction": "Write a  function\nthat sorts a list."},
        {"id": "b", "instruction": "write a function that SORTS a list."},
        {"id": "c", "instruction": "Something else entirely, with more words in it than that."},
    ]
    out = DedupIndex(DedupConfig()).process(recs)
    assert out == [None, {"reason": "exact_dup", "dup_of": "a", "similarity": 1.0}, None]


def test_earlier_record_is_kept_and_removed_records_do_not_match(rng: random.Random) -> None:
    a = sentence(rng, 200)
    b = list(a)
    for k in (20, 60, 90):  # b: a few edits away from a
        b[k] = f"y{k}"
    c = list(b)
    for k in (120, 150, 180):  # c: a few edits away from b, twice as far from a
        c[k] = f"y{k}"
    ab, bc, ac = (jaccard_sets(shingle_set(" ".join(x)), shingle_set(" ".join(y))) for x, y in ((a, b), (b, c), (a, c)))
    threshold = (min(ab, bc) + ac) / 2
    assert ac < threshold < min(ab, bc)
    recs = [{"id": k, "instruction": " ".join(t)} for k, t in (("a", a), ("b", b), ("c", c))]
    out = DedupIndex(DedupConfig(threshold=threshold)).process(recs)
    assert out[0] is None and out[1]["dup_of"] == "a"
    assert out[2] is None  # its only match, b, was removed


def test_incremental_rounds_equal_one_batch(rng: random.Random) -> None:
    records, _ = corpus(rng, 400)
    rng.shuffle(records)
    whole = DedupIndex(DedupConfig()).process(records)
    index = DedupIndex(DedupConfig())
    parts = []
    for start in range(0, len(records), 97):
        parts += index.process(records[start : start + 97])
    assert parts == whole
    assert len(index) == sum(v is None for v in whole)


def test_chunks_inside_one_batch_equal_small_batches(rng: random.Random, monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = corpus(rng, 200)
    whole = DedupIndex(DedupConfig()).process(records)
    monkeypatch.setattr("evol.dedup.index.CHUNK_DOCS", 16)
    assert DedupIndex(DedupConfig()).process(records) == whole


def test_reprocessing_indexed_ids_is_idempotent(rng: random.Random) -> None:
    records, _ = corpus(rng, 60)
    index = DedupIndex(DedupConfig())
    first = index.process(records)
    size = len(index)
    again = index.process(records)
    for a, b in zip(first, again, strict=True):
        assert b is None if a is None else b == a
    assert len(index) == size


def test_copies_of_a_removed_record_share_its_verdict(rng: random.Random) -> None:
    base = sentence(rng, 80)
    near = " ".join(mutate(rng, base, 1))
    recs = [
        {"id": "a", "instruction": " ".join(base)},
        {"id": "b", "instruction": near},
        {"id": "c", "instruction": near},
    ]
    out = DedupIndex(DedupConfig()).process(recs)
    assert out[1]["reason"] == "near_dup" and out[1]["dup_of"] == "a"
    assert out[2] == out[1]


def test_fields_missing_output_and_both_fields() -> None:
    cfg = DedupConfig(fields=["instruction", "output"])
    recs = [
        {"id": "1", "instruction": "Reverse a string in place.", "output": None},
        {"id": "2", "instruction": "Reverse a string in place."},
        {"id": "3", "instruction": "Reverse a string in place.", "output": "s[::-1]"},
    ]
    out = DedupIndex(cfg).process(recs)
    assert out[0] is None and out[1]["reason"] == "exact_dup" and out[2] is None
    only_output = DedupIndex(DedupConfig(fields=["output"])).process(recs)
    assert only_output == [None, None, None]  # no text to compare: kept, not judged


def test_record_without_id_is_a_data_error() -> None:
    with pytest.raises(DataError, match="record 1 has no 'id'"):
        DedupIndex(DedupConfig()).process([{"id": "x", "instruction": "a"}, {"instruction": "b"}])


def test_datasketch_backend_gives_the_same_verdicts(rng: random.Random) -> None:
    records, _ = corpus(rng, 150)
    numpy_out = DedupIndex(DedupConfig()).process(records)
    assert DedupIndex(DedupConfig(backend="datasketch")).process(records) == numpy_out


def test_config_rejects_inconsistent_lsh_settings() -> None:
    with pytest.raises(ValueError, match="storage_config"):
        DedupConfig(storage_config={"type": "dict"})
    with pytest.raises(ValueError, match="bands and rows"):
        DedupConfig(bands=16)
    with pytest.raises(ValueError, match="extra"):
        DedupConfig(treshold=0.5)
    assert DedupConfig(bands=16, rows=8).band_shape() == (16, 8)


def test_a_child_is_never_a_near_dup_of_its_own_lineage() -> None:
    """Evolution adds a few words to its parent by design: only other lineages count as duplicates."""
    from evol.dedup import DedupConfig, DedupIndex

    parent = ("Write a Python function that reads a CSV file of orders and returns the total revenue per "
              "customer as a dictionary sorted by customer name in ascending order")
    child = parent + " and skip rows whose amount is missing"
    same = [{"id": "s-1", "root_id": "s-1", "instruction": parent}, {"id": "r1-a", "root_id": "s-1",
                                                                        "instruction": child}]
    index = DedupIndex(DedupConfig())
    assert index.process(same[:1]) == [None] and index.process(same[1:]) == [None]
    other = {"id": "r1-b", "root_id": "s-2", "instruction": child + " please"}
    removal = index.process([other])[0]
    assert removal is not None and removal["reason"] == "near_dup" and removal["dup_of"] in ("s-1", "r1-a")
    off = DedupIndex(DedupConfig(lineage_field=None))
    assert off.process(same)[1]["reason"] == "near_dup"
