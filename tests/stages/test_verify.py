"""The verification stages on one item, with a scripted teacher and the real sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evol.config import load_config
from evol.prompts import PromptSet, verification_extras
from evol.records import make_seed
from evol.sandbox import default_sandbox
from evol.stages.context import ItemContext
from evol.stages.eliminate import elimination_rules
from evol.stages.item import process
from evol.stages.requests import RequestFactory
from evol.stages.response_filters import response_rules
from tests.stages.fakes import FakeClient

REPO = Path(__file__).resolve().parents[2]
SEED = make_seed("Write a Python function `double(xs)` that doubles every number in a list.")
GOOD = "Sure.\n```python\ndef double(xs):\n    return [2 * x for x in xs]\n```"
BUGGY = "Sure.\n```python\ndef double(xs):\n    return [x + x + 1 for x in xs]\n```"
TESTS = "```python\nassert double([1, 2]) == [2, 4]\nassert double([]) == []\n```"


def context(client: FakeClient, **verify: object) -> ItemContext:
    # one answer at a time, no referee, unless a test asks for more
    single = {"answers": 1, "mutants": 0, "min_cases": 1, "referee.enabled": False, "more_cases": 0}
    cfg = load_config(REPO / "pipelines/verified.toml", {f"verify.{k}": v for k, v in {**single, **verify}.items()})
    factory = RequestFactory(cfg, PromptSet(list(cfg.evolve.methods), verify=cfg.verify.mode,
                                            also=verification_extras(cfg.verify)), "m")
    return ItemContext(client=client, requests=factory,  # type: ignore[arg-type]
                       elimination=elimination_rules(cfg.eliminate, tested_gain=True),
                       responses=response_rules(cfg.filters), verify=cfg.verify, sandbox=default_sandbox())


def trip(client: FakeClient, parent: dict = SEED, round_no: int = 0, **verify: object) -> dict:
    return asyncio.run(process(context(client, **verify), parent, round_no))


def test_a_passing_answer_is_verified_on_the_first_try() -> None:
    client = FakeClient(GOOD, TESTS)
    record = trip(client)
    assert record["status"] == "ok" and record["difficulty"] == "first_try"
    assert record["verification"] == {"status": "verified", "attempts": 1, "passed": 2, "total": 2,
                                      "cases": 2, "checks": 0, "seconds": record["verification"]["seconds"],
                                      "language": "python"}
    assert record["code"].startswith("def double") and record["tests"].startswith("assert double")


def test_the_tests_request_never_sees_the_answer() -> None:
    client = FakeClient(GOOD, TESTS)
    trip(client)
    tests_request = client.requests[1]
    assert tests_request.stage == "tests"
    prompt = tests_request.messages[0]["content"]
    assert SEED["instruction"] in prompt and "2 * x" not in prompt


def test_reject_sampling_keeps_a_later_passing_answer() -> None:
    client = FakeClient(BUGGY, TESTS, BUGGY, GOOD)
    record = trip(client)
    assert record["status"] == "ok" and record["verification"]["attempts"] == 3
    assert record["difficulty"] == "later_try" and "2 * x" in record["output"] and "2 * x" in record["code"]
    answers = [r for r in client.requests if r.stage == "answer"]
    assert len({r.cache_key() for r in answers}) == 3  # each attempt its own cache key ...
    assert [r.params.get("seed") for r in answers] == [None, 1, 2]  # ... and sampling seed


def test_a_crash_inside_the_answer_is_resampled_wherever_the_test_called_it() -> None:
    """#20 (blame): tests written `r = f(x); assert r == ...` used to blame the answer's own crash on the tests."""
    crash = "Sure.\n```python\ndef double(xs):\n    return [2 * x for x in xz]\n```"
    setup_style = "```python\nr = double([1, 2])\nassert r == [2, 4]\nassert double([]) == []\n```"
    record = trip(FakeClient(crash, setup_style, GOOD))
    assert record["status"] == "ok" and record["verification"]["attempts"] == 2
    assert record["verification"]["cases"] == 2 and record["difficulty"] == "later_try"
    broken = trip(FakeClient(GOOD, "```python\nassert triple([1]) == [3]\n```"))  # a name the task never gave
    assert (broken["stage"], broken["reason"]) == ("verify", "tests_broken")
    assert broken["verification"]["attempts"] == 1


def test_an_answer_failing_every_attempt_is_rejected_with_the_failing_test() -> None:
    record = trip(FakeClient(BUGGY, TESTS, BUGGY, BUGGY))
    assert (record["status"], record["stage"], record["reason"]) == ("rejected", "verify", "failed_tests")
    assert record["difficulty"] == "never" and "double([1, 2])" in record["detail"]


def test_unparsable_tests_are_rejected() -> None:
    record = trip(FakeClient(GOOD, "I would test it with a few lists."))
    assert (record["stage"], record["reason"]) == ("tests", "tests_unparsable")


def test_no_code_is_unverifiable_kept_or_rejected_by_config() -> None:
    prose = "Use a list comprehension that multiplies each element by two."
    rejected = trip(FakeClient(prose))
    assert (rejected["stage"], rejected["reason"]) == ("verify", "unverifiable")
    kept = trip(FakeClient(prose), keep_unverifiable=True)
    assert kept["status"] == "ok" and kept["verification"]["status"] == "unverifiable"


def test_a_seed_with_an_output_has_it_verified() -> None:
    seed = {**SEED, "output": GOOD}
    client = FakeClient(TESTS)
    record = trip(client, seed)
    assert record["verification"]["status"] == "verified" and [r.stage for r in client.requests] == ["tests"]


def test_joint_mode_takes_answer_and_tests_from_one_request() -> None:
    joint = GOOD + "\n\n```python\n# Tests\nassert double([3]) == [6]\n```"
    client = FakeClient(joint)
    record = trip(client, mode="joint")
    assert record["status"] == "ok" and len(client.requests) == 1
    assert "# Tests" not in record["output"] and "double([3])" in record["tests"]


def _verified_parent() -> dict:
    parent = trip(FakeClient(GOOD, TESTS))
    assert parent["verification"]["status"] == "verified"
    return parent


EVOLVED = SEED["instruction"] + " Raise a ValueError when the input is not a list."
STRICT = ("```python\ndef double(xs):\n    if not isinstance(xs, list):\n        raise ValueError('xs')\n"
          "    return [2 * x for x in xs]\n```")
STRICT_TESTS = ("```python\nassert double([1]) == [2]\ntry:\n    double('ab')\nexcept ValueError:\n    pass\n"
                "else:\n    assert False, 'no ValueError'\n```")


def test_gain_the_parents_code_fails_the_childs_tests() -> None:
    parent = _verified_parent()
    client = FakeClient(EVOLVED, STRICT, STRICT_TESTS)
    record = asyncio.run(process(context(client), parent, 1, {"add_constraints": 1.0}))
    assert record["status"] == "ok" and record["method"] == "add_constraints"
    assert record["gain"]["parent_status"] == "failed_tests"


def test_no_tested_gain_when_the_parents_code_passes_the_childs_tests() -> None:
    parent = _verified_parent()
    same = SEED["instruction"] + " Keep the function short and readable."
    client = FakeClient(same, GOOD, "```python\nassert double([5]) == [10]\n```")
    record = asyncio.run(process(context(client), parent, 1, {"add_constraints": 1.0}))
    assert (record["status"], record["stage"], record["reason"]) == ("rejected", "gain", "no_tested_gain")
    # a method outside verify.require_gain is not judged by tests
    client = FakeClient(same, GOOD, "```python\nassert double([5]) == [10]\n```")
    record = asyncio.run(process(context(client), parent, 1, {"more_reasoning": 1.0}))
    assert record["status"] == "ok" and "gain" not in record


def test_gain_judges_with_the_tests_writers_cases_not_the_cases_answers_added() -> None:
    """#20: cases made from the child's own answers (more_cases) are no trusted ground for its gain check."""
    abs_parent = "Sure.\n```python\ndef double(xs):\n    return [2 * abs(x) for x in xs]\n```"
    parent = trip(FakeClient(abs_parent, TESTS))
    same = SEED["instruction"] + " Keep the function short and readable."
    weak = {"mutants": 8, "min_mutation_score": 0.7, "more_cases": 2}
    client = FakeClient(same, GOOD, "```python\nassert double([0]) == [0]\n```", '{"calls": ["double([-3])"]}')
    record = asyncio.run(process(context(client, **weak), parent, 1, {"add_constraints": 1.0}))
    assert record["cases_added"] == 1 and record["cases"][-1]["expected"] == "[-6]"  # the parent's code fails it
    assert (record["status"], record["stage"], record["reason"]) == ("rejected", "gain", "no_tested_gain")
