"""The paraphrase check's thresholds, measured on labelled pairs: rewordings of HumanEval problems (true) and
ordinary coding tasks that share its generic words (false; the first is the false positive of issue 20).

Measured (true flagged of 10, false flagged of 10): share 0.75 alone 5/3; share 0.75 and idf mass 10 (the
defaults) 4/0; share 0.6 and mass 10: 8/0 but two shipped seeds flagged (a GCD task against HumanEval/13, a
password check against HumanEval/27), so the defaults keep 0.75.
"""

from __future__ import annotations

import pytest

from evol.decontam import DecontamConfig, Decontaminator

TRUE = [
    ("Write a Python function that checks whether any two numbers in a list are closer to each other than a given "
     "threshold.", "HumanEval/0"),
    ("Write a function to find the shortest palindrome that begins with a supplied string.", "HumanEval/10"),
    ("Given a string, flip lowercase characters to uppercase and vice versa and return it.", "HumanEval/27"),
    ("Return the greatest integer above zero whose frequency in a non-empty list of positive integers is at least "
     "the integer itself, or -1 if there is none.", "HumanEval/69"),
    ("Write a function that, given a string of several groups of nested parentheses, separates the groups into "
     "separate strings and returns the list of those.", "HumanEval/1"),
    ("Take a positive floating point number and return its decimal part, the leftover after removing the integer "
     "part.", "HumanEval/2"),
    ("You get a list of deposit and withdrawal operations on a bank account that starts at zero balance; detect if "
     "at any point the balance falls below zero.", "HumanEval/3"),
    ("Compute the mean absolute deviation around the mean of a list of input numbers.", "HumanEval/4"),
    ("Return the n-th Fibonacci number that is also prime.", "HumanEval/39"),
    ("Check whether a given string is a palindrome.", "HumanEval/48"),
]
FALSE = [
    "Write a Python function that returns the largest sum of a non-empty contiguous slice of a list of integers.",
    "Given a list of integers, return the greatest sum of any non-empty contiguous slice of the list. The function "
    "must also validate its input and raise a ValueError with a helpful message on bad data.",
    "Write a function that returns the second largest distinct value in a list of positive integers, or -1 if "
    "there is none.",
    "Write a function that counts how many times each word appears in a string and returns a dictionary.",
    "Implement binary search over a sorted list of integers and return the index of the target or -1.",
    "Write a function that merges two sorted lists of integers into one sorted list.",
    "Given a non-empty list of positive integers, return the product of its elements modulo 1000000007.",
    "Write a function that removes duplicate integers from a list while keeping the first occurrence of each.",
    "Return the number of vowels in a given string, counting y only at the end.",
    "Write a Python function that, given a list of numbers and a window size k, returns the maximum of every "
    "contiguous window of length k in O(n) total time using a deque.",
]


def scores(cfg: DecontamConfig) -> tuple[int, int]:
    """(true pairs flagged as their own item, false pairs flagged at all) under `cfg`."""
    deco = Decontaminator(cfg)
    found = sum(1 for text, item in TRUE if (hit := deco.check({"instruction": text})) and hit["benchmark_id"] == item)
    return found, sum(1 for text in FALSE if deco.check({"instruction": text}) is not None)


@pytest.fixture(scope="module")
def default() -> tuple[int, int]:
    return scores(DecontamConfig())


def test_the_defaults_flag_no_false_pair_and_most_true_ones(default: tuple[int, int]) -> None:
    found, false_flags = default
    assert false_flags == 0 and found >= 4


def test_word_share_alone_flags_false_pairs() -> None:
    assert scores(DecontamConfig(paraphrase_min_weight=0.0, paraphrase_threshold=0.75))[1] >= 2


def test_the_largest_slice_sum_task_is_not_humaneval_69_and_the_flag_shows_both_texts() -> None:
    deco = Decontaminator(DecontamConfig())
    assert deco.check({"instruction": FALSE[0]}) is None and deco.check({"instruction": FALSE[1]}) is None
    hit = deco.check({"id": "r1-x", "instruction": TRUE[0][0]})
    assert hit is not None and "closer to each other than" in hit["benchmark_text"]
    (flag,) = deco.report()["flags"]
    assert flag["id"] == "r1-x" and flag["text"] == TRUE[0][0] and flag["benchmark_id"] == "HumanEval/0"
