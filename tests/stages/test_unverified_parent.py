"""A child of a parent that was never verified is gain-checked against the parent's answer or not kept."""

from __future__ import annotations

import asyncio

import pytest

from evol.stages.item import process
from tests.stages.fakes import FakeClient
from tests.stages.test_verify import EVOLVED, GOOD, SEED, STRICT, STRICT_TESTS, TESTS, context, trip

SAME = SEED["instruction"] + " Keep the function short and readable."
PLAIN_TESTS = "```python\nassert double([5]) == [10]\n```"


def unverified_parent(output: str) -> dict:
    """A seed whose every answer failed its tests (as next_pool carries it: its tried answer along)."""
    seed = trip(FakeClient(output, "```python\nassert double([1]) == [3]\n```", output, output))
    assert seed["stage"] == "verify" and seed["reason"] == "failed_tests"
    keep = ("output", "code", "language", "tests", "cases", "checks", "verification")
    return {**SEED, **{k: seed[k] for k in keep}}


def child(parent: dict, method: str, *replies: str, **verify: object) -> dict:
    ctx = context(FakeClient(*replies), **verify)
    return asyncio.run(process(ctx, parent, 1, {method: 1.0}))


@pytest.mark.parametrize("policy", ["drop", "check"])
def test_a_no_op_child_of_an_unverified_parent_is_never_kept(policy: str) -> None:
    record = child(unverified_parent(GOOD), "add_constraints", SAME, GOOD, PLAIN_TESTS, unverified_parents=policy)
    expected = "unverified_parent" if policy == "drop" else "no_tested_gain"
    assert (record["status"], record["stage"], record["reason"]) == ("rejected", "gain", expected)


def test_checked_against_the_parents_tried_answer_a_real_gain_is_kept() -> None:
    record = child(unverified_parent(GOOD), "add_constraints", EVOLVED, STRICT, STRICT_TESTS,
                   unverified_parents="check")
    assert record["status"] == "ok" and record["gain"]["parent_verified"] is False
    assert record["gain"]["parent_status"] == "failed_tests"


def test_a_parent_without_an_answer_to_check_against_is_not_waved_through() -> None:
    bare = {**SEED}  # never answered: nothing to compare with
    record = child(bare, "add_constraints", EVOLVED, STRICT, STRICT_TESTS, unverified_parents="check")
    assert (record["stage"], record["reason"]) == ("gain", "unverified_parent")


def test_a_verified_parent_is_judged_as_before() -> None:
    parent = trip(FakeClient(GOOD, TESTS))
    record = child(parent, "add_constraints", SAME, GOOD, PLAIN_TESTS)
    assert record["reason"] == "no_tested_gain" and record["gain"]["parent_verified"] is True
