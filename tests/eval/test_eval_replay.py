"""The 7 HumanEval checks that do not convert to cases, replayed apart from the completion's code: honest
completions get the verdict the original harness gives (a property check keeps its meaning), and completions that
forge the original harness's exit status get nothing."""

from __future__ import annotations

import pytest

from evol.eval.problems import Problem
from evol.eval.recorded import recorded_cases
from evol.eval.scoring import score_one
from evol.sandbox import default_sandbox

FORGERIES = {
    "exit 0 before the check": "    import os\n    os._exit(0)\n",
    "exit 0 at import": "    pass\nimport os as _o\n_o._exit(0)\n",
    "an always-equal result": "    class E(str):\n        def __eq__(self, o):\n            return True\n"
                              "        __hash__ = str.__hash__\n    return E()\n",
    "the check shadowed": ("    return None\nimport builtins\n"
                           "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
                           "def check(candidate):\n    pass\n"),
    "math patched": "    import math\n    math.fabs = lambda v: 0.0\n    return 0.0\n",
    "exit 0 from atexit": "    import atexit, os\n    atexit.register(lambda: os._exit(0))\n    return None\n",
    "a forged results record": "    import os\n    os.write(int(os.environ.get('EVOL_RESULTS_FD', '1')), b'{}')\n"
                               "    raise SystemExit(0)\n",
}
NEWTON = ("    x = 0.0\n    for _ in range(200):\n"
          "        d = sum(i * c * x ** (i - 1) for i, c in enumerate(xs) if i)\n"
          "        if d == 0:\n            x += 0.5\n            continue\n"
          "        x -= poly(xs, x) / d\n    return x\n")


@pytest.fixture(scope="module")
def unconverted(problems: list[Problem]) -> list[tuple[Problem, list]]:
    sandbox = default_sandbox()
    return [(p, recorded_cases(sandbox, p)) for p in problems if p.cases() is None]


def test_seven_checks_replay_and_canonical_solutions_pass(unconverted: list[tuple[Problem, list]]) -> None:
    assert [p.task_id for p, _ in unconverted] == ["HumanEval/32", "HumanEval/33", "HumanEval/38", "HumanEval/44",
                                                   "HumanEval/50", "HumanEval/53", "HumanEval/151"]
    sandbox = default_sandbox()
    for problem, recorded in unconverted:
        result = score_one(sandbox, problem, None, problem.canonical_solution or "", recorded)
        assert (problem.task_id, result["status"], result["judge"]) == (problem.task_id, "passed", "replay")
        wrong = score_one(sandbox, problem, None, "    return None\n", recorded)
        assert wrong["status"] == "failed", problem.task_id


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_completion_that_forges_the_exit_status_fails_the_replay(
        name: str, unconverted: list[tuple[Problem, list]]) -> None:
    sandbox = default_sandbox()
    for problem, recorded in unconverted[:3] + unconverted[-2:]:
        forged = FORGERIES[name]
        assert score_one(sandbox, problem, None, forged, recorded)["status"] != "passed", (name, problem.task_id)


def test_the_forgery_suite_bites_the_exit_status_harness(unconverted: list[tuple[Problem, list]]) -> None:
    """Without the replay (the old exit-status path, the completion in the check's process) some of these attacks
    pass: they are real."""
    sandbox = default_sandbox()
    old = {name: [score_one(sandbox, p, None, f)["status"] for p, _ in unconverted] for name, f in FORGERIES.items()}
    assert old["an always-equal result"].count("passed") >= 4 and old["math patched"][0] == "passed"


def test_a_property_check_keeps_its_meaning(unconverted: list[tuple[Problem, list]]) -> None:
    """find_zero's check asks for any root: another method's root passes, as in the original harness."""
    sandbox = default_sandbox()
    problem, recorded = unconverted[0]
    original = score_one(sandbox, problem, None, NEWTON)
    replay = score_one(sandbox, problem, None, NEWTON, recorded)
    assert original["judge"] == "exit_status" and replay["judge"] == "replay"
    assert replay["status"] == original["status"] == "passed"
    by_value = score_one(sandbox, problem, recorded, NEWTON)  # judged on the canonical roots instead: fails
    assert by_value["judge"] == "cases" and by_value["status"] == "failed"


def test_the_summary_counts_samples_a_completion_could_forge(tmp_path, problems: list[Problem]) -> None:
    import json
    from types import SimpleNamespace

    from evol.eval.scoring import summarize

    rows = [{"task_id": problems[0].task_id, "sample_index": i, "status": "passed", "judge": judge}
            for i, judge in enumerate(["cases", "replay", "exit_status"])]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = SimpleNamespace(problems=None, model="m", temperature=0.0, top_p=1.0, max_tokens=8, prompt_style="evol",
                               postprocess="evol", backend="endpoint")
    assert summarize(tmp_path, problems[:1], 3, settings, default_sandbox())["forgeable_samples"] == 1
