"""Figures in the docs are tied to their results keys (bench/figures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import figures

RESULTS = {"canonical": {"wall_s": 2.82, "problems": 1640},
           "rows": [{"tool": "evol", "latency_s": 0.5, "ratio": 1.0},
                    {"tool": "peer", "latency_s": 0.5, "ratio": 3.37}],
           "share": 0.4567}


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "x.json").write_text(json.dumps(RESULTS))
    monkeypatch.setattr(figures, "RESULTS", tmp_path)
    return tmp_path


def problems(text: str) -> list[str]:
    return [p.text for p in figures.check_text(Path("doc.md"), text)]


def test_a_figure_that_matches_its_key_passes(results: Path) -> None:
    text = ("Scored in 2.82 s<!--fig:x.json:canonical.wall_s--> (1,640<!--fig:x.json:canonical.problems--> "
            "programs), the peer **3.37×<!--fig:x.json:rows.tool=peer,latency_s=0.5.ratio-->**, "
            "45.7%<!--fig%:x.json:share--> of it; a timeout of 2 s<!--set-->.\n")
    assert problems(text) == []


def test_a_changed_figure_fails(results: Path) -> None:
    found = problems("Scored in 2.83 s<!--fig:x.json:canonical.wall_s-->.\n")
    assert len(found) == 1 and "differs" in found[0]


def test_a_figure_with_no_key_fails(results: Path) -> None:
    found = problems("evol is 6.33× faster and takes 4.8 s.\n")
    assert [f.split(":")[0] for f in found] == ["6.33×", "4.8 s"]


def test_a_missing_key_fails(results: Path) -> None:
    found = problems("took 2.82 s<!--fig:x.json:canonical.wall-->\n")
    assert len(found) == 1 and "no key" in found[0]


def test_every_number_of_a_marked_table_row_needs_a_key(results: Path) -> None:
    found = problems("| evol | 2.82<!--fig:x.json:canonical.wall_s--> | 17 |\n")
    assert found == ["17: a table figure with no results key"]


def test_code_is_not_prose(results: Path) -> None:
    assert problems("```\nsleep 5 s and 3×\n```\nrun `timeout 5s` now\n") == []


def test_update_rewrites_marked_numbers_with_the_shown_decimals(results: Path) -> None:
    text = "in 4.8 s<!--fig:x.json:canonical.wall_s--> and ×1.0<!--fig:x.json:rows.tool=peer,latency_s=0.5.ratio-->"
    assert figures.update_text(text) == ("in 2.8 s<!--fig:x.json:canonical.wall_s--> and "
                                         "×3.4<!--fig:x.json:rows.tool=peer,latency_s=0.5.ratio-->")
