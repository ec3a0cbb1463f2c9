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
            "45.7%<!--fig%:x.json:share--> of it, 3.37×<!--fig:x.json:rows.latency_s=0.5,tool=peer.ratio-->; "
            "no figure in 429s; a timeout of 2 s<!--set-->.\n")
    assert problems(text) == []


def test_a_changed_figure_fails(results: Path) -> None:
    found = problems("Scored in 2.83 s<!--fig:x.json:canonical.wall_s-->.\n")
    assert len(found) == 1 and "differs" in found[0]


def test_a_figure_with_no_key_fails(results: Path) -> None:
    found = problems("evol is 6.33× faster, x1.6 with 2 workers on x86_64, and takes 4.8 s.\n")
    assert [f.split(":")[0] for f in found] == ["6.33×", "x1.6", "4.8 s"]


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


def test_a_row_marker_is_the_base_of_its_cells_relative_keys(results: Path) -> None:
    row = "| peer<!--row:x.json:rows.tool=peer,latency_s=0.5--> | 3.37<!--fig:.ratio--> | {}<!--fig:.latency_s--> |\n"
    assert problems(row.format("0.5")) == []
    assert [p.split(" differs")[0] for p in problems(row.format("0.6"))] == ["0.6"]
    assert figures.update_text(row.format("0.6")) == row.format("0.5")


def test_a_relative_key_without_a_row_marker_fails(results: Path) -> None:
    found = problems("| peer | 3.37<!--fig:.ratio--> |\n")
    assert len(found) == 1 and "needs a <!--row" in found[0]


@pytest.mark.parametrize("doc", figures.docs(), ids=lambda p: p.name)
def test_every_figure_of_the_docs_matches_its_results_key(doc: Path) -> None:
    assert [str(p) for p in figures.check_text(doc, doc.read_text(encoding="utf-8"))] == []


@pytest.mark.parametrize("doc", [d for d in figures.docs() if figures.MARKER.search(d.read_text(encoding="utf-8"))],
                         ids=lambda p: p.name)
def test_a_changed_figure_in_the_docs_fails(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    m = figures.MARKER.search(text)
    assert m is not None
    number = m.group(1)
    changed = number[:-1] + ("1" if number[-1] != "1" else "2")
    found = figures.check_text(doc, text[:m.start(1)] + changed + text[m.end(1):])
    assert len(found) == 1 and "differs" in found[0].text
