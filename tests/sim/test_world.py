"""The sim's task world for agreement: answers that differ (correct, buggy, misreading), tests wrong through a
plausible misreading, vacuous tests, and a misreading shared by a whole task, at seeded rates."""

from __future__ import annotations

import json

from evol.sim import misread
from evol.sim.responder import REFEREE_MARK, referee
from evol.sim.tasks import EXPECTED, FAMILIES, SAMPLE, Rates, Task

CLEAN = Rates(tests_unparsable=0, tests_wrong=0, tests_broken=0, answer_bug=0, answer_crash=0)


def result(code: str) -> object:
    namespace: dict = {}
    exec(code.rsplit("\n\n\nprint(", 1)[0], namespace)  # the sim's own code, harmless
    return namespace["solve"](SAMPLE)


def test_each_family_has_a_misreading_with_its_own_code_and_expected_value() -> None:
    for family in FAMILIES:
        task = Task("solve", family, frozenset(), "python", "t")
        right = result(task.code("s", CLEAN))
        misread_code = task.code("s", Rates(**{**CLEAN.__dict__, "answer_misread": 1.0}))
        assert right == EXPECTED[family][0] and result(misread_code) == misread.EXPECTED[family] != right
        (case, _), _ = task.cases("p", Rates(**{**CLEAN.__dict__, "tests_misread": 1.0}))
        assert case["expected"] == repr(misread.EXPECTED[family])


def test_rates_are_seeded_shares() -> None:
    rates = Rates(**{**CLEAN.__dict__, "answer_misread": 0.2, "tests_vacuous": 0.3})
    tasks = [Task.of(f"Write a Python function `solve(xs)` number {i} that sorts a list.") for i in range(400)]
    misreads = sum(result(t.code(f"a{i}", rates)) == misread.EXPECTED[t.family] for i, t in enumerate(tasks))
    vacuous = sum(len(t.cases(f"p{i}", rates)[0]) == 1 for i, t in enumerate(tasks))
    assert 0.14 < misreads / 400 < 0.26 and 0.24 < vacuous / 400 < 0.36
    assert [t.code("a", rates) for t in tasks[:20]] == [t.code("a", rates) for t in tasks[:20]]  # deterministic


def test_a_shared_misreading_takes_every_answer_and_the_tests() -> None:
    rates = Rates(**{**CLEAN.__dict__, "shared_misread": 1.0})
    task = Task.of("Write a Python function `solve(xs)` that sorts a list.")
    assert {str(result(task.code(f"a{i}", rates))) for i in range(4)} == {str(misread.EXPECTED[task.family])}
    assert task.cases("p", rates)[0][0]["expected"] == repr(misread.EXPECTED[task.family])


def test_the_sim_referee_picks_the_right_reading_and_misreads_as_answers_do(monkeypatch) -> None:
    instruction = "Write a Python function `solve(xs)` that sorts a list."
    task = Task.of(instruction)
    right, wrong = repr(EXPECTED[task.family][0]), repr(misread.EXPECTED[task.family])
    call = f"solve({SAMPLE})"

    def ask(order: tuple[str, str], salt: str = "") -> str:
        prompt = (f"{REFEREE_MARK}.\n\n#Task#:\n{instruction}\n#End of Task#\n\n"
                  f"Input 1: `{call}`\n  A: {order[0]}\n  B: {order[1]}\n{salt}")
        return json.loads(referee(prompt).split("```json\n")[1].split("```")[0])["rulings"][0]["choice"]

    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps(CLEAN.__dict__))
    assert (ask((right, wrong)), ask((wrong, right)), ask(("[9]", "[8]"))) == ("A", "B", "neither")
    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps({**CLEAN.__dict__, "answer_misread": 0.3}))
    picks = [ask((right, wrong), f"draw {i}") for i in range(200)]
    assert 0.2 < picks.count("B") / 200 < 0.4  # its own draw, at the answers' rate
    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps({**CLEAN.__dict__, "shared_misread": 1.0}))
    assert ask((right, wrong)) == "B"  # a misreading the whole task shares fools the referee too


def test_a_referee_on_a_model_of_its_own_misreads_at_its_own_rate(monkeypatch) -> None:
    instruction = "Write a Python function `solve(xs)` that sorts a list."
    task = Task.of(instruction)
    right, wrong = repr(EXPECTED[task.family][0]), repr(misread.EXPECTED[task.family])

    def ask(salt: str) -> str:
        prompt = (f"{REFEREE_MARK}.\n\n#Task#:\n{instruction}\n#End of Task#\n\n"
                  f"Input 1: `solve({SAMPLE})`\n  A: {right}\n  B: {wrong}\n{salt}")
        return json.loads(referee(prompt).split("```json\n")[1].split("```")[0])["rulings"][0]["choice"]

    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps({**CLEAN.__dict__, "answer_misread": 0.5,
                                                     "referee_misread": 0.0}))
    assert {ask(f"draw {i}") for i in range(100)} == {"A"}
