"""The forgery suite for the languages other than Python, through the real sandbox and the trusted judge: a
correct answer to `add(a, b)` is verified, an honest wrong one is not, and no attack (tests/verification/
forgery_table.py: exiting early, patched asserts and exit paths, forged or duplicate records, a crash after
right records) is."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from evol.sandbox import Limits, Sandbox
from evol.verification.judge import Verdict, check
from tests.sandbox.conftest import require_bwrap, require_runner
from tests.verification.forgery_table import ATTACKS, CASES, CORRECT, WRONG

LIMITS = Limits(timeout_s=10.0)


@pytest.fixture(scope="module")
def box() -> Sandbox:
    require_bwrap()
    return Sandbox(LIMITS, workers=2)


def verdicts(box: Sandbox, language: str, programs: dict[str, str]) -> dict[str, Verdict]:
    """Each program's verdict on the language's cases (two at a time)."""
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(check, box, code, language, CASES[language], LIMITS, "add(a, b)")
                   for name, code in programs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("language", sorted(ATTACKS))
def test_no_attack_is_verified_and_a_correct_answer_is(box: Sandbox, language: str) -> None:
    require_runner(language)
    assert len(ATTACKS[language]) >= 3
    found = verdicts(box, language, {"correct": CORRECT[language], "wrong": WRONG[language],
                                     **dict(ATTACKS[language])})
    correct, wrong = found.pop("correct"), found.pop("wrong")
    assert (correct.status, correct.passed, correct.total) == ("verified", 3, 3), correct
    assert (wrong.status, wrong.passed) == ("failed_tests", 0), wrong
    for intent, verdict in found.items():
        assert verdict.status != "verified", (language, intent, verdict)
