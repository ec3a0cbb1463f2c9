"""End to end: canonical solutions score 1.0, empty/wrong ones 0.0, through the same path as model output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.errors import ConfigError
from evol.eval.backends import EndpointBackend
from evol.eval.humaneval import EvalSettings, evaluate
from evol.eval.passk import pass_at_k
from evol.eval.problems import Problem
from evol.llm import LLMFailure
from evol.sandbox import Limits, Sandbox
from evol.template import humaneval_prompt
from tests.eval.helpers import FakeClient, write_samples

runner = CliRunner()
F = "`" * 3


def cli(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def results_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_canonical_solutions_score_one(problems: list[Problem], tmp_path: Path) -> None:
    samples = write_samples(
        tmp_path / "canonical.jsonl", [{"task_id": p.task_id, "completion": p.canonical_solution} for p in problems]
    )
    code, output = cli("eval", "humaneval", "--samples-file", str(samples), "--out", str(tmp_path / "run"))
    assert code == 0, output
    summary = summary_of(tmp_path / "run")
    assert summary["pass@1"] == 1.0 and summary["passed"] == 164 and summary["complete"]
    results = results_of(tmp_path / "run")
    assert all(r["status"] == "passed" for r in results)
    # the checks that convert to cases are judged outside the sandbox; the rest replayed apart from the code
    assert Counter(r["judge"] for r in results) == {"cases": 157, "replay": 7}


def test_forged_completions_score_zero(problems: list[Problem], tmp_path: Path) -> None:
    """An answer that games an in-process check (AlwaysEqual; a forged 'passed' report, then an exit) fails."""
    forged = [
        "    class E(int):\n        def __eq__(self, o):\n            return True\n    return E()\n",
        "    import os, sys\n    f = sys._getframe()\n    while f.f_back and 'cfg' not in f.f_locals:\n"
        "        f = f.f_back\n    cfg = f.f_locals.get('cfg') or {}\n"
        "    line = repr({'nonce': cfg.get('nonce'), 'status': 'passed'}) + '\\n'\n"
        "    os.write(cfg.get('status_fd', 3), line.encode())\n"
        "    os._exit(0)\n",
    ]
    rows = [{"task_id": p.task_id, "completion": f} for p in problems[:3] for f in forged]
    samples = write_samples(tmp_path / "forged.jsonl", rows)
    code, output = cli("eval", "humaneval", "--samples-file", str(samples), "--limit", "3", "--out",
                       str(tmp_path / "run"))
    assert code == 0, output
    assert summary_of(tmp_path / "run")["passed"] == 0


def test_empty_completions_score_zero(problems: list[Problem], tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "empty.jsonl", [{"task_id": p.task_id, "completion": ""} for p in problems])
    code, output = cli("eval", "humaneval", "--samples-file", str(samples), "--out", str(tmp_path / "run"))
    assert code == 0, output
    summary = summary_of(tmp_path / "run")
    assert summary["pass@1"] == 0.0 and summary["failed"] == 164


def test_wrong_completions_score_zero_with_their_errors(problems: list[Problem], tmp_path: Path) -> None:
    wrong = [
        "    return None\n",
        "    raise NotImplementedError\n",
        f"{F}python\nimport sys\nsys.exit(0)\n{F}",
        "    while True:\n        pass\n",
        "    return undefined_name\n",
        "I cannot solve this.",
    ]
    rows = [{"task_id": p.task_id, "completion": w} for p in problems[:4] for w in wrong]
    samples = write_samples(tmp_path / "wrong.jsonl", rows)
    code, output = cli(
        "eval",
        "humaneval",
        "--samples-file",
        str(samples),
        "--limit",
        "4",
        "--timeout",
        "1",
        "--out",
        str(tmp_path / "run"),
    )
    assert code == 0, output
    summary = summary_of(tmp_path / "run")
    assert summary["pass@1"] == 0.0 and summary["samples_per_problem"] == 6
    kinds = {r["kind"] for r in results_of(tmp_path / "run")}
    assert {"AssertionError", "NotImplementedError", "SystemExit", "Timeout", "NameError"} <= kinds
    assert summary["timed_out"] == 4


def fenced_solution(p: Problem) -> str:
    """A chatty model answer: prose, a fence with the whole function, a main guard and a stray print."""
    return (
        f"Here is the solution.\n{F}python\n{p.prompt}{p.canonical_solution}\n\nprint('demo')\n"
        f"if __name__ == '__main__':\n    print({p.entry_point})\n{F}\nIt works because..."
    )


def test_endpoint_path_sampled(problems: list[Problem], tmp_path: Path) -> None:
    by_prompt = {humaneval_prompt(p.prompt): p for p in problems[:3]}
    client = FakeClient(
        lambda req: (
            fenced_solution(by_prompt[req.prompt])
            if req.sample_index % 2 == 0
            else f"{F}python\ndef nothing():\n    pass\n{F}"
        )
    )
    backend = EndpointBackend("http://test/v1", "m", client_factory=lambda: client)
    settings = EvalSettings(model="m", samples=20, temperature=0.2, top_p=0.95, limit=3)
    summary = evaluate(
        settings, tmp_path / "run", backend=backend, sandbox=Sandbox(Limits(timeout_s=3)), log=lambda _: None
    )
    assert len(client.requests) == 60 and client.closed
    assert {(r.sample_index, r.params["temperature"], r.params["top_p"]) for r in client.requests} == {
        (i, 0.2, 0.95) for i in range(20)
    }
    assert len({r.params["seed"] for r in client.requests}) == 20
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 60 and all(s["raw"] and "```" not in s["completion"] for s in samples)
    assert {sum(s["task_id"] == p.task_id for s in samples) for p in problems[:3]} == {20}  # all N, not N/2
    assert summary["samples_per_problem"] == 20 and summary["complete"]
    assert [k for k in summary if k.startswith("pass@")] == [f"pass@{k}" for k in range(1, 21)]
    assert summary["pass@1"] == pytest.approx(0.5)
    assert summary["pass@10"] == pytest.approx(pass_at_k(20, 10, 10), abs=1e-6)


def test_resume_retries_failed_requests_only(problems: list[Problem], tmp_path: Path) -> None:
    ok = {humaneval_prompt(p.prompt): fenced_solution(p) for p in problems[:4]}
    flaky = FakeClient(
        lambda req: (
            LLMFailure("server_error", "HTTP 500")
            if req.prompt == humaneval_prompt(problems[1].prompt)
            else ok[req.prompt]
        )
    )
    settings = EvalSettings(model="m", limit=4)
    sandbox = Sandbox(Limits(timeout_s=3))
    first = evaluate(
        settings,
        tmp_path / "run",
        backend=EndpointBackend("u", "m", client_factory=lambda: flaky),
        sandbox=sandbox,
        log=lambda _: None,
    )
    assert not first["complete"] and first["missing_samples"] == 1
    with pytest.raises(ConfigError):
        evaluate(
            settings,
            tmp_path / "run",
            backend=EndpointBackend("u", "m", client_factory=lambda: flaky),
            sandbox=sandbox,
            log=lambda _: None,
        )
    healthy = FakeClient(lambda req: ok[req.prompt])
    second = evaluate(
        settings,
        tmp_path / "run",
        resume=True,
        sandbox=sandbox,
        log=lambda _: None,
        backend=EndpointBackend("u", "m", client_factory=lambda: healthy),
    )
    assert len(healthy.requests) == 1 and second["complete"] and second["pass@1"] == 1.0
    assert len(results_of(tmp_path / "run")) == 4


def test_resume_continues_scoring_and_checks_settings(problems: list[Problem], tmp_path: Path) -> None:
    samples = write_samples(
        tmp_path / "s.jsonl", [{"task_id": p.task_id, "completion": p.canonical_solution} for p in problems[:6]]
    )
    out = tmp_path / "run"
    assert cli("eval", "humaneval", "--samples-file", str(samples), "--limit", "6", "--out", str(out))[0] == 0
    lines = (out / "results.jsonl").read_text().splitlines()
    (out / "results.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])  # interrupted mid-line
    code, output = cli(
        "eval", "humaneval", "--samples-file", str(samples), "--limit", "6", "--out", str(out), "--resume"
    )
    assert code == 0, output
    assert len(results_of(out)) == 6 and summary_of(out)["pass@1"] == 1.0
    code, output = cli(
        "eval", "humaneval", "--samples-file", str(samples), "--limit", "5", "--out", str(out), "--resume"
    )
    assert code == 2 and "different settings" in output


def test_bad_sampling_settings_are_refused(tmp_path: Path) -> None:
    code, output = cli(
        "eval",
        "humaneval",
        "--base-url",
        "http://x/v1",
        "--model",
        "m",
        "--samples",
        "20",
        "--temperature",
        "0",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "temperature" in output
    code, output = cli("eval", "humaneval", "--model", "m", "--out", str(tmp_path / "r2"))
    assert code == 2 and "--base-url" in output


def test_a_samples_file_on_some_problems_scores_those_with_their_own_counts(problems: list[Problem],
                                                                           tmp_path: Path) -> None:
    """Three problems of 164, one with two samples: pass@k over those three, complete (exit 0, no --resume loop)."""
    chosen = problems[:3]
    rows = [{"task_id": p.task_id, "completion": p.canonical_solution} for p in chosen]
    rows.append({"task_id": chosen[0].task_id, "completion": "    return None\n"})
    samples = write_samples(tmp_path / "some.jsonl", rows)
    code, output = cli("eval", "humaneval", "--samples-file", str(samples), "--out", str(tmp_path / "run"))
    assert code == 0, output
    summary = summary_of(tmp_path / "run")
    assert (summary["problems"], summary["complete"], summary["missing_samples"]) == (3, True, 0)
    assert summary["pass@1"] == pytest.approx((0.5 + 1 + 1) / 3) and summary["samples_per_problem"] == 2
    assert "covers 3 of 164 problems" in output


def test_a_samples_file_naming_a_task_outside_the_benchmark_is_refused(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "odd.jsonl", [{"task_id": "HumanEval/0", "completion": "    return 1\n"},
                                                     {"task_id": "HumanEval/999", "completion": "    return 1\n"}])
    code, output = cli("eval", "humaneval", "--samples-file", str(samples), "--out", str(tmp_path / "run"))
    assert code == 3 and "odd.jsonl:2: task_id 'HumanEval/999' is not a problem of this benchmark" in output, output
