"""Unit checks of the measures behind the report: tokens, constraints, difficulty, cost, lineage, card helpers."""

from __future__ import annotations

import pytest

from evol.errors import ConfigError, DataError
from evol.pricing import load_prices, pick_price, round_cost, round_tokens
from evol.report.card import seed_license, size_category
from evol.report.lineage import Lineage, outcome
from evol.report.metrics import constraint_count, difficulty_by_round, estimate_tokens, lengths, text_tokens

SEED = {"id": "s-1", "parent_id": None, "root_id": "s-1", "round": 0, "method": "seed",
        "instruction": "Sort a list.", "output": "```python\nsorted(x)\n```", "usage": {"answer": {
            "prompt_tokens": 5, "completion_tokens": 7}}}
CHILD = {"id": "r1-a", "parent_id": "s-1", "root_id": "s-1", "round": 1, "method": "add_constraints",
         "instruction": "Sort a list in place without using sorted(); it must run in O(n log n).",
         "output": "Use heapq.", "usage": {"evolve": {"prompt_tokens": 50, "completion_tokens": 20},
                                            "answer": {"prompt_tokens": 20, "completion_tokens": 4}}}
DUP = {"id": "r2-b", "parent_id": "r1-a", "root_id": "s-1", "round": 2, "method": "more_reasoning",
       "instruction": "x", "output": "y", "stage": "dedup", "reason": "near_dup", "dup_of": "r1-a", "similarity": 0.81}
HIT = {"id": "r2-c", "parent_id": "r1-a", "root_id": "s-1", "round": 2, "method": "complexity", "instruction": "z",
       "output": "w", "stage": "decontam", "reason": "contaminated", "benchmark": "humaneval",
       "benchmark_id": "HumanEval/0", "similarity": 0.9}


def test_tokens_reported_or_estimated() -> None:
    assert text_tokens(CHILD, "instruction") == (20, True)  # the evolve completion is the instruction
    assert text_tokens(CHILD, "output") == (4, True)
    assert text_tokens(SEED, "instruction") == (estimate_tokens("Sort a list."), False)
    assert estimate_tokens("") == 0 and estimate_tokens("abcde") == 2
    got = lengths([SEED, CHILD], "instruction")
    assert got.reported == 1 and got.words == [3, 16]


def test_constraints_and_difficulty() -> None:
    assert constraint_count("Sort a list.") == 0
    assert constraint_count(CHILD["instruction"]) == 4  # in place, without, must, O(n log n)
    rows = difficulty_by_round([[SEED], [CHILD]])
    assert rows[0]["length_growth"] == 1.0 and rows[1]["length_growth"] == pytest.approx(16 / 3)
    assert rows[0]["code_share"] == 1.0 and rows[1]["code_share"] == 0.0
    assert difficulty_by_round([[], []])[1]["length_growth"] == 0.0


def test_tokens_and_cost(tmp_path) -> None:
    stats = {"tokens": {"answer_prompt_tokens": 1_000_000, "answer_completion_tokens": 2_000_000,
                        "evolve_prompt_tokens": 0, "evolve_completion_tokens": 1_000_000,
                        "evolve_reasoning_tokens": 600_000}}
    assert round_tokens(stats)["answer"] == {"prompt_tokens": 1_000_000, "completion_tokens": 2_000_000,
                                             "reasoning_tokens": 0}
    assert round_tokens(stats)["evolve"]["reasoning_tokens"] == 600_000
    price = pick_price({"gpt-3.5-turbo": {"input": 0.5, "output": 1.5}}, "evol-sim", "gpt-3.5-turbo")
    assert price is not None and price.model == "gpt-3.5-turbo"
    assert round_cost(stats, price) == pytest.approx(0.5 + 4.5)  # reasoning billed once, within completion
    assert round_cost(stats, None) is None
    (tmp_path / "p.toml").write_text('[prices]\n"m" = { input = 1.0, output = 2.0 }\n')
    assert load_prices(tmp_path / "p.toml") == {"m": {"input": 1.0, "output": 2.0}}
    (tmp_path / "empty.toml").write_text("name = 'x'\n")
    with pytest.raises(ConfigError, match="no \\[prices\\]"):
        load_prices(tmp_path / "empty.toml")


def test_lineage_and_outcomes() -> None:
    lineage = Lineage({r["id"]: r for r in (SEED, CHILD, DUP, HIT)})
    assert [r["id"] for r in lineage.chain(DUP)] == ["s-1", "r1-a", "r2-b"]
    assert [r["id"] for r in lineage.children["r1-a"]] == ["r2-b", "r2-c"]
    assert lineage.resolve("r1") is CHILD
    with pytest.raises(DataError, match="ambiguous"):
        lineage.resolve("r2-")
    with pytest.raises(DataError, match="no record"):
        lineage.resolve("zz")
    assert outcome(CHILD) == "kept"
    assert outcome(DUP) == "rejected at dedup: near_dup (dup of r1-a, similarity 0.81)"
    assert "humaneval HumanEval/0" in outcome(HIT)
    assert [c[-1]["id"] for c in lineage.sample_chains([CHILD, DUP], n=1)] == ["r2-b"]


def test_contamination_figure_counts_benchmark_hits() -> None:
    from evol.report.figures import dedup_and_contamination

    fig = dedup_and_contamination([{"round": 0}, {"round": 1}, {"round": 2}], [[], [], [DUP, HIT]])
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    assert bars == {"contaminated: humaneval": [0, 0, 1], "near_dup": [0, 0, 1]}


def test_card_helpers() -> None:
    assert seed_license("/abs/repo/data/seeds/code_seeds.jsonl").startswith("CC0-1.0")
    assert "huggingface.co/datasets/sahil2801/CodeAlpaca-20k" in seed_license("hf:sahil2801/CodeAlpaca-20k:train")
    assert seed_license("mine.jsonl").startswith("unknown")
    assert size_category(999) == "n<1K" and size_category(78_000) == "10K<n<100K"
