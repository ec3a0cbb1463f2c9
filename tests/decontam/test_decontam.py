"""Decontamination: verbatim spans, whole docstrings and paraphrases are flagged; the seeds are not."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from evol.decontam import DecontamConfig, Decontaminator
from evol.decontam.benchmarks import BenchmarkItem
from evol.errors import DataError
from tests.dedup.corpus import WORDS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deco() -> Decontaminator:
    return Decontaminator(DecontamConfig())


def filler(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def test_verbatim_spans_of_20_words_are_caught(deco: Decontaminator) -> None:
    rng = random.Random(5)
    caught = 0
    for _ in range(200):
        item = rng.choice(deco.items)
        words = re.findall(r"\w+", item.text)
        start = rng.randrange(max(1, len(words) - 20))
        record = {"instruction": filler(rng, 15), "output": filler(rng, 5) + " " + " ".join(words[start : start + 20])}
        hit = deco.check(record)
        caught += hit is not None and hit["benchmark_id"] == item.item_id
    assert caught / 200 >= 0.95


def test_verbatim_prompt_hit_has_all_fields(deco: Decontaminator) -> None:
    prompt = deco.items[0].prompt
    hit = deco.check({"id": "r1", "instruction": f"Complete this code:\n{prompt}", "output": None})
    assert hit is not None
    assert hit["reason"] == "contaminated" and hit["benchmark"] == "humaneval"
    assert hit["benchmark_id"] == "HumanEval/0" and hit["method"] == "ngram" and 0 < hit["similarity"] <= 1


def test_whole_short_docstring_is_caught(deco: Decontaminator) -> None:
    # HumanEval/23's docstring has five words: too short for 13-grams.
    hit = deco.check({"instruction": "Please return length of given string, using a loop."})
    assert hit is not None and (hit["benchmark_id"], hit["method"]) == ("HumanEval/23", "docstring")


@pytest.mark.parametrize(
    "text, item",
    [
        (
            "Write a Python function that checks whether any two numbers in a list are closer to each other "
            "than a given threshold.",
            "HumanEval/0",
        ),
        ("Write a function to find the shortest palindrome that begins with a supplied string.", "HumanEval/10"),
        ("Given a string, flip lowercase characters to uppercase and vice versa and return it.", "HumanEval/27"),
    ],
)
def test_paraphrases_are_caught(deco: Decontaminator, text: str, item: str) -> None:
    hit = deco.check({"instruction": text})
    assert hit is not None and hit["benchmark_id"] == item and hit["method"] in {"paraphrase", "docstring"}


def test_no_false_positive_on_the_shipped_seeds(deco: Decontaminator) -> None:
    files = sorted((ROOT / "data" / "seeds").glob("*.jsonl"))
    assert files, "no shipped seed file under data/seeds"
    seeds = [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]
    assert len(seeds) > 50
    flagged = [(s.get("instruction", "")[:80], h) for s, h in zip(seeds, deco.check_many(seeds), strict=True) if h]
    assert flagged == []


def test_ngrams_shared_by_several_items_are_ignored() -> None:
    shared = "this boilerplate sentence appears word for word in two different benchmark problems here"
    items = [
        BenchmarkItem("b", "1", f"{shared}. Sort the numbers.", ""),
        BenchmarkItem("b", "2", f"{shared}. Reverse the letters.", ""),
    ]
    deco = Decontaminator(DecontamConfig(benchmarks=[], paraphrase=False), items=items)
    assert deco.check({"instruction": f"Note: {shared}."}) is None
    assert deco.check({"instruction": f"{shared}. Sort the numbers."}) is not None


def test_report_counts_hits_per_item() -> None:
    deco = Decontaminator(DecontamConfig())
    prompt = deco.items[3].prompt
    deco.check_many([{"instruction": prompt}, {"instruction": prompt}, {"instruction": "unrelated words only"}])
    report = deco.report()
    assert report["checked"] == 3 and report["flagged"] == 2
    assert report["hits"]["humaneval"]["HumanEval/3"] == 2 and report["items_hit"]["humaneval"] == 1
    assert len(report["hits"]["humaneval"]) == 164


def test_unreadable_benchmark_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"prompt": "x"}\nnot json\n')
    with pytest.raises(DataError, match=r"broken\.jsonl:2"):
        Decontaminator(DecontamConfig(benchmarks=["humaneval", str(bad)]))
