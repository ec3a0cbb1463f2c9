"""`evol estimate`: calls, tokens and cost before anything is spent."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from evol.cli import app
from evol.llm.usage import cost
from evol.plan.estimate import estimate
from tests.helpers import DEMO, REPO, demo_config


def test_calls_follow_the_pool_and_cost_uses_the_price(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path / "r", limit=20, rounds=2,
                      prices={"gpt-3.5-turbo": {"input": 0.5, "output": 1.5}})
    est = estimate(cfg)
    stages = {s["stage"]: s for s in est["stages"]}
    assert stages["evolve"]["calls"] == 40 and stages["evolve"]["rounds"] == [1, 2]
    assert stages["answer"]["calls"] == 20 + round(2 * 20 * est["assumptions"]["pass_rate"])
    assert est["total"]["calls"] == stages["evolve"]["calls"] + stages["answer"]["calls"]
    assert est["cost"] == cost(est["total"], {"input": 0.5, "output": 1.5}) > 0
    assert abs(est["batch_cost"] - est["cost"] / 2) < 1e-9
    judged = estimate(demo_config(tmp_path / "j", limit=20, rounds=2, **{"eliminate.judge": True}))
    assert any(s["stage"] == "judge" for s in judged["stages"])


def test_cached_tokens_are_billed_at_the_cached_price() -> None:
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 0, "cached_tokens": 500_000}
    assert cost(usage, {"input": 2.0, "cached_input": 0.5, "output": 8.0}) == 1.25


def test_estimate_command(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(DEMO.read_text().replace('"data/seeds/', f'"{REPO}/data/seeds/')
                      + '\n[prices]\n"gpt-3.5-turbo" = { input = 0.5, output = 1.5 }\n')
    out = CliRunner().invoke(app, ["estimate", "--config", str(config), "--limit", "10"])
    assert out.exit_code == 0, out.output
    assert "total" in out.output and "Batch API" in out.output


def test_verification_adds_tests_requests_and_resampled_answers() -> None:
    from evol.config import load_config
    from evol.plan.estimate import estimate
    from tests.helpers import REPO

    base = {"seeds.paths": [str(REPO / "data/seeds/code_seeds.jsonl")], "limit": 20, "rounds": 2}
    plain = estimate(load_config(REPO / "pipelines/verified.toml", {**base, "verify.enabled": False}))
    checked = estimate(load_config(REPO / "pipelines/verified.toml", {**base, "verify.answers": 1}))
    stages = {r["stage"]: r for r in checked["stages"]}
    answers = sum(r["calls"] for r in plain["stages"] if r["stage"] == "answer")
    assert stages["tests"]["calls"] == answers  # one tests request per answered item (seeds included)
    assert 0 < stages["verify"]["calls"] < answers
    assert checked["total"]["calls"] > plain["total"]["calls"]
    assert "tests" not in {r["stage"] for r in plain["stages"]}


def test_k_answers_cost_completion_tokens_not_requests() -> None:
    from evol.config import load_config
    from evol.plan.estimate import estimate
    from tests.helpers import REPO

    base = {"seeds.paths": [str(REPO / "data/seeds/code_seeds.jsonl")], "limit": 20, "rounds": 2}
    one = {r["stage"]: r for r in estimate(load_config(REPO / "pipelines/verified.toml",
                                                         {**base, "verify.answers": 1}))["stages"]}
    six = {r["stage"]: r for r in estimate(load_config(REPO / "pipelines/verified.toml",
                                                         {**base, "verify.answers": 6}))["stages"]}
    alone = {r["stage"]: r for r in estimate(load_config(REPO / "pipelines/verified.toml", {
        **base, "verify.answers": 6, "verify.referee.enabled": False, "verify.more_cases": 0}))["stages"]}
    assert six["answer"]["calls"] == one["answer"]["calls"]  # one n = 6 request ...
    assert one["verify"]["calls"] > 0 and "verify" not in alone  # ... and no answer asked again
    assert 0 < six["verify"]["calls"] < one["verify"]["calls"]  # a referee request for the contested items only
    assert 0 < six["more_cases"]["calls"] < six["tests"]["calls"] / 10 and "more_cases" not in alone
    assert six["answer"]["completion_tokens"] == 6 * one["answer"]["completion_tokens"]
