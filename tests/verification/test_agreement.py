"""Answers and tests judged against each other: agreement drops a contradicted test, cannot see a shared
misreading, and keeps an answer of the largest agreeing group."""

from __future__ import annotations

from evol.verification.agreement import agree, contested


def v(x: object) -> tuple[str, object]:
    return ("v", x)


def table(outputs: list[list[object]], expected: list[object]) -> tuple[list[list[object]], list[list[bool]]]:
    """keys and passes for answers' raw outputs against the cases' expected values."""
    keys = [[v(o) if not isinstance(o, BaseException) else ("e", type(o).__name__) for o in row] for row in outputs]
    passes = [[not isinstance(o, BaseException) and o == e for o, e in zip(row, expected, strict=True)]
              for row in outputs]
    return keys, passes


def test_a_wrong_test_contradicted_by_agreeing_answers_is_dropped() -> None:
    # case 1 expects 7 (the test misread the task); three of four answers return 6, one is buggy
    keys, passes = table([[1, 6, 0], [1, 6, 0], [1, 6, 0], [2, 5, 0]], [1, 7, 0])
    result = agree(keys, passes)
    assert result.ok and result.kept_cases == [0, 2] and [d["case"] for d in result.dropped_cases] == [1]
    assert "3 of 4 answers" in result.dropped_cases[0]["why"]
    assert result.chosen == 0 and result.groups == [[0, 1, 2], [3]] and result.pass_rate == 0.75
    assert agree(keys, passes, on_suspect="reject").status == "tests_suspect"


def test_without_agreement_the_wrong_test_fails_every_answer() -> None:
    keys, passes = table([[1, 6, 0]], [1, 7, 0])  # one answer: nothing to agree with
    result = agree(keys, passes)
    assert result.status == "failed_tests" and result.dropped_cases == []


def test_a_misreading_shared_by_all_answers_and_the_tests_is_not_caught() -> None:
    # the limit: every answer and the test follow the same misreading (the truth would be 6): verified
    keys, passes = table([[1, 7], [1, 7], [1, 7], [1, 7]], [1, 7])
    result = agree(keys, passes)
    assert result.ok and result.dropped_cases == [] and result.pass_rate == 1.0


def test_a_passing_answer_outvoted_by_a_larger_group_is_disputed_not_verified() -> None:
    # the test and one answer agree; three answers agree on something else, but not strongly enough per case
    keys, passes = table([[1, 9], [1, 9], [1, 8], [1, 9]], [1, 8])
    result = agree(keys, passes, consensus=1.0)
    assert result.status == "disputed" and result.passing == [2] and result.chosen is None


def test_crashing_answers_do_not_overrule_a_test() -> None:
    boom = ValueError("x")
    keys, passes = table([[boom, 1], [boom, 1], [boom, 1], [3, 1]], [3, 1])
    result = agree(keys, passes)
    assert result.dropped_cases == [] and result.passing == [3] and result.ok and result.chosen == 3


def test_thresholds_min_cases_and_min_pass_rate() -> None:
    keys, passes = table([[6], [6], [6], [5]], [7])
    assert agree(keys, passes).status == "too_few_cases"  # its only case was dropped
    keys, passes = table([[1, 2], [1, 2], [0, 2], [1, 0]], [1, 2])
    assert agree(keys, passes).ok and agree(keys, passes, min_pass_rate=0.6).status == "failed_tests"
    assert agree(keys, passes).to_record()["pass_rate"] == 0.5


def test_two_answers_sharing_a_bug_do_not_overrule_a_right_test() -> None:
    # answers 0 and 1 share a bug (the empty-input case proves them wrong); 2 is right; 3 misreads
    keys, passes = table([[3, 1], [3, 1], [2, 0], [0, 0]], [2, 0])
    result = agree(keys, passes)
    assert result.dropped_cases == [] and result.ok and result.chosen == 2


def test_a_right_case_dropped_by_a_bug_sharing_majority_stands_when_the_referee_upholds_it() -> None:
    # four answers share a bug on case 1 (6 instead of 7), two meet the test: counting drops the right case
    keys, passes = table([[1, 6], [1, 6], [1, 6], [1, 6], [1, 7], [1, 7]], [1, 7])
    counted = agree(keys, passes, consensus=0.6, min_cases=2)
    assert counted.status == "too_few_cases" and [d["case"] for d in counted.dropped_cases] == [1]
    [contest] = contested(keys, passes, counted)
    assert (contest.case, contest.backing, contest.against, contest.example) == (1, 2, 4, 0)
    ruled = agree(keys, passes, consensus=0.6, min_cases=2, rulings={1: True})
    assert ruled.ok and ruled.kept_cases == [0, 1] and ruled.chosen == 4 and ruled.pass_rate == 2 / 6


def test_a_referee_siding_with_the_answers_drops_the_case() -> None:
    keys, passes = table([[1, 9], [1, 9], [1, 8], [1, 9]], [1, 8])
    counted = agree(keys, passes, consensus=1.0)
    assert counted.status == "disputed" and [c.case for c in contested(keys, passes, counted)] == [1]
    ruled = agree(keys, passes, consensus=1.0, rulings={1: False})
    assert ruled.ok and ruled.kept_cases == [0] and ruled.chosen == 0
    assert "referee" in ruled.dropped_cases[0]["why"]
    upheld = agree(keys, passes, consensus=1.0, rulings={1: True})
    assert upheld.ok and upheld.chosen == 2  # the larger group fails a case the referee upheld: it cannot win


def test_nothing_is_contested_when_no_answer_backs_a_dropped_case() -> None:
    keys, passes = table([[1, 6, 0], [1, 6, 0], [1, 6, 0], [2, 5, 0]], [1, 7, 0])
    assert contested(keys, passes, agree(keys, passes)) == []


def test_one_answer_meeting_a_test_the_rest_contradict_is_no_case_to_hear() -> None:
    keys, passes = table([[1, 6], [1, 6], [1, 6], [1, 6], [1, 7], [1, 5]], [1, 7])
    counted = agree(keys, passes, consensus=0.6)
    assert [d["case"] for d in counted.dropped_cases] == [1] and contested(keys, passes, counted) == []


def test_a_tie_the_tests_alone_broke_is_heard_and_a_ruling_against_them_undoes_it() -> None:
    # two answers and the test misread case 0 (7); two answers read it right (6): the tests broke the tie
    keys, passes = table([[6, 0], [6, 0], [7, 0], [7, 0], [5, 0], [8, 0]], [7, 0])
    counted = agree(keys, passes, consensus=0.6)
    assert counted.ok and counted.chosen == 2
    [contest] = contested(keys, passes, counted)
    assert (contest.case, contest.backing, contest.against, contest.example) == (0, 2, 2, 0)
    overruled = agree(keys, passes, consensus=0.6, min_cases=2, rulings={0: False})
    assert overruled.status == "too_few_cases" and overruled.chosen is None
    assert agree(keys, passes, consensus=0.6, rulings={0: True}).chosen == 2
    lone = table([[6, 0], [7, 0], [7, 0], [5, 0]], [7, 0])  # a rival of one answer: no tie to break
    assert contested(*lone, agree(*lone, consensus=0.6)) == []
