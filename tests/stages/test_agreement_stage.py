"""Verification by agreement of k answers, and the mutation check, on one item with a scripted teacher and the
real sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from evol.llm import LLMRequest
from tests.stages.fakes import FakeClient
from tests.stages.test_verify import BUGGY, GOOD, trip

TRIPLE = "Sure.\n```python\ndef double(xs):\n    return [3 * x for x in xs]\n```"  # a misreading
WRONG_CASE = "```python\nassert double([1, 2]) == [2, 4]\nassert double([3]) == [7]\nassert double([]) == []\n```"
MISREAD_TESTS = "```python\nassert double([1, 2]) == [3, 6]\nassert double([]) == []\n```"
VACUOUS = "```python\nassert double([]) == []\n```"
VACUOUS_TWO = "```python\nassert double([]) == []\nassert double([0, 0]) == [0, 0]\n```"
STRONG = "```python\nassert double([1, 2]) == [2, 4]\nassert double([-3]) == [-6]\nassert double([]) == []\n```"


def test_a_wrong_test_contradicted_by_the_agreeing_answers_is_dropped() -> None:
    client = FakeClient(GOOD, GOOD, BUGGY, GOOD, WRONG_CASE)
    record = trip(client, answers=4)
    assert record["status"] == "ok" and record["verification"]["status"] == "verified"
    assert [c["call"] for c in record["cases_dropped"]] == ["double([3])"]
    assert "3 of 4 answers" in record["cases_dropped"][0]["why"]
    assert [c["call"] for c in record["cases"]] == ["double([1, 2])", "double([])"]
    assert "double([3])" not in record["tests"] and "2 * x" in record["code"]
    agreement = record["agreement"]
    assert agreement["k"] == 4 and agreement["groups"] == [[0, 1, 3], [2]] and agreement["chosen"] == 0
    assert record["difficulty"] == agreement["pass_rate"] == 0.75
    answers = [r for r in client.requests if r.stage == "answer"]
    assert answers[0].params["n"] == 4 and len({r.cache_key() for r in answers}) == 4  # n asked, the rest apart


def test_one_answer_cannot_overrule_the_wrong_test() -> None:
    record = trip(FakeClient(GOOD, WRONG_CASE, GOOD, GOOD))
    assert (record["stage"], record["reason"]) == ("verify", "failed_tests")


def test_a_suspect_case_rejects_the_item_when_configured() -> None:
    record = trip(FakeClient(GOOD, GOOD, BUGGY, GOOD, WRONG_CASE), answers=4, on_suspect="reject")
    assert (record["stage"], record["reason"]) == ("verify", "tests_suspect")


def test_a_misreading_shared_by_every_answer_and_the_tests_is_not_caught() -> None:
    # the documented limit: nothing disagrees. Tests and answers from different models make it rarer.
    record = trip(FakeClient(TRIPLE, TRIPLE, TRIPLE, TRIPLE, MISREAD_TESTS), answers=4)
    assert record["status"] == "ok" and "3 * x" in record["code"] and "cases_dropped" not in record


def test_a_passing_answer_outside_the_largest_group_is_not_verified() -> None:
    record = trip(FakeClient(TRIPLE, TRIPLE, TRIPLE, GOOD, STRONG), answers=4, consensus=1.0)
    assert (record["stage"], record["reason"]) == ("verify", "disputed")
    assert record["agreement"]["passing"] == [3]


def side(tests: bool) -> Callable[[LLMRequest], str]:
    """A referee reply that takes the tests' side (or the answers') on every input, whichever label it has."""
    def reply(request: LLMRequest) -> str:
        prompt = request.messages[0]["content"]
        found = []
        for n, a, _ in re.findall(r"Input (\d+): .*\n  A: (.*)\n  B: (.*)", prompt):
            tests_is_a = a in ("[2, 4]", "[-6]")  # STRONG's expected values on the contested inputs
            found.append({"input": int(n), "choice": "A" if tests_is_a == tests else "B"})
        return json.dumps({"rulings": found})
    return reply


def test_the_referee_settles_a_dispute_the_counting_cannot() -> None:
    """#20: a passing answer outvoted by a larger group is kept when the referee upholds the tests' case."""
    upheld_client = FakeClient(TRIPLE, TRIPLE, TRIPLE, GOOD, STRONG, side(tests=True))
    upheld = trip(upheld_client, answers=4, consensus=1.0, **{"referee.enabled": True})
    assert upheld["status"] == "ok" and "2 * x" in upheld["code"] and upheld["agreement"]["chosen"] == 3
    assert {r["ruling"] for r in upheld["agreement"]["referee"]} == {"tests"}
    [asked] = [r for r in upheld_client.requests if r.stage == "referee"]
    prompt = asked.messages[0]["content"]
    assert "`double([1, 2])`" in prompt and "[3, 6]" in prompt and "[2, 4]" in prompt and "3 * x" not in prompt
    overruled = trip(FakeClient(TRIPLE, TRIPLE, TRIPLE, GOOD, STRONG, side(tests=False)), answers=4, consensus=1.0,
                     **{"referee.enabled": True})
    assert overruled["status"] == "ok" and "3 * x" in overruled["code"]  # the referee has the last word
    assert [c["call"] for c in overruled["cases"]] == ["double([])"] and len(overruled["cases_dropped"]) == 2
    assert {r["ruling"] for r in overruled["agreement"]["referee"]} == {"answers"}
    silent = trip(FakeClient(TRIPLE, TRIPLE, TRIPLE, GOOD, STRONG, "no idea"), answers=4, consensus=1.0,
                  **{"referee.enabled": True})
    assert (silent["stage"], silent["reason"]) == ("verify", "disputed")  # no ruling: the counting stands


def test_vacuous_tests_are_rejected_by_the_mutation_score() -> None:
    weak = trip(FakeClient(GOOD, VACUOUS), mutants=8, min_mutation_score=0.6)
    assert (weak["stage"], weak["reason"]) == ("teeth", "weak_tests") and weak["mutation"]["score"] < 0.6
    strong = trip(FakeClient(GOOD, STRONG), mutants=8, min_mutation_score=0.6)
    assert strong["status"] == "ok" and strong["mutation"] == {"score": 1.0, "mutants": 5, "killed": 5,
                                                                "survived": {}}


def test_weak_tests_get_more_cases_from_the_agreeing_answers_before_they_are_rejected() -> None:
    """#20 (teeth): new inputs from the tests writer, expected values from the answers that agreed."""
    inputs = json.dumps({"calls": ["double([5, -1])", "double([0])", "double([])", "double(", "double([7, 7, 7])"]})
    client = FakeClient(GOOD, GOOD, GOOD, BUGGY, VACUOUS_TWO, inputs)
    record = trip(client, answers=4, mutants=8, min_mutation_score=0.7, more_cases=4)
    assert record["status"] == "ok" and record["mutation"]["score"] == 1.0
    assert record["mutation"]["score_before"] == 0.6 and record["mutation"]["answers_agreeing"] == 1
    added = record["cases"][-record["cases_added"]:]
    assert [(c["call"], c["expected"]) for c in added] == [("double([5, -1])", "[10, -2]"), ("double([0])", "[0]"),
                                                           ("double([7, 7, 7])", "[14, 14, 14]")]
    [asked] = [r for r in client.requests if r.stage == "tests" and "more inputs" in r.messages[0]["content"]]
    assert "`double([])`" in asked.messages[0]["content"] and "2 * x" not in asked.messages[0]["content"]
    useless = FakeClient(GOOD, GOOD, GOOD, BUGGY, VACUOUS_TWO, json.dumps({"calls": ["double([])"]}))
    still = trip(useless, answers=4, mutants=8, min_mutation_score=0.7, more_cases=4)
    assert (still["stage"], still["reason"]) == ("more_cases", "weak_tests") and "cases_added" not in still
    off = trip(FakeClient(GOOD, GOOD, GOOD, BUGGY, VACUOUS_TWO), answers=4, mutants=8, min_mutation_score=0.7)
    assert (off["stage"], off["reason"]) == ("teeth", "weak_tests")
