"""Saving and loading an index: same verdicts after a reload, version checks, atomic writes."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from evol.dedup import DedupConfig, DedupIndex
from evol.dedup.minhash import band_keys, signatures
from evol.dedup.tokens import shingles32, tokenize
from evol.errors import ConfigError, DataError

from .corpus import corpus


def test_resumed_index_gives_the_same_result_as_one_run(rng: random.Random, tmp_path: Path) -> None:
    records, _ = corpus(rng, 300)
    whole = DedupIndex(DedupConfig()).process(records)
    half = len(records) // 2
    index = DedupIndex(DedupConfig())
    first = index.process(records[:half])
    index.save(tmp_path / "dedup.npz")
    resumed = DedupIndex.load(DedupConfig(), tmp_path / "dedup.npz")
    assert len(resumed) == len(index)
    assert first + resumed.process(records[half:]) == whole
    assert [p.name for p in tmp_path.iterdir()] == ["dedup.npz"]  # no temporary file left behind


def test_changed_threshold_rebuilds_the_bands(rng: random.Random, tmp_path: Path) -> None:
    records, _ = corpus(rng, 200)
    index = DedupIndex(DedupConfig())
    verdicts = index.process(records[:100])
    index.save(tmp_path / "i.npz")
    resumed = DedupIndex.load(DedupConfig(threshold=0.5), tmp_path / "i.npz")
    assert (resumed.bands, resumed.rows) != (index.bands, index.rows)
    kept = [r["instruction"] for r, v in zip(records[:100], verdicts, strict=True) if v is None]
    sh, doc = shingles32(tokenize(kept), 5)
    direct = band_keys(signatures(sh, doc, len(kept), 128, 1), resumed.bands, resumed.rows)
    rebuilt, _ = resumed.tables.compacted()
    assert np.array_equal(np.sort(direct.T, axis=1), rebuilt)
    rest = resumed.process(records[100:])
    assert all(v["similarity"] >= 0.5 for v in rest if v is not None)


@pytest.mark.parametrize("change", [{"seed": 2}, {"ngram": 4}, {"num_perm": 64}, {"fields": ["output"]}])
def test_version_mismatch_is_a_config_error(change: dict, tmp_path: Path) -> None:
    index = DedupIndex(DedupConfig())
    index.process([{"id": "1", "instruction": "one two three four five six"}])
    index.save(tmp_path / "i.npz")
    key = next(iter(change))
    with pytest.raises(ConfigError, match=key):
        DedupIndex.load(DedupConfig(**change), tmp_path / "i.npz")


def test_unreadable_index_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(DataError, match="bad.npz"):
        DedupIndex.load(DedupConfig(), bad)
    with pytest.raises(DataError, match="missing.npz"):
        DedupIndex.load(DedupConfig(), tmp_path / "missing.npz")


def test_empty_index_round_trips(tmp_path: Path) -> None:
    DedupIndex(DedupConfig()).save(tmp_path / "e.npz")
    index = DedupIndex.load(DedupConfig(), tmp_path / "e.npz")
    assert len(index) == 0
    assert index.process([{"id": "a", "instruction": "hello there world foo bar"}]) == [None]
