"""Verification roles on their own teachers: the tests and the answers can come from other models/endpoints."""

from __future__ import annotations

import asyncio

from evol.config import load_config
from evol.stages.item import process
from evol.stages.roles import role_clients
from tests.helpers import REPO
from tests.stages.fakes import FakeClient
from tests.stages.test_verify import GOOD, SEED, TESTS, context


def test_each_role_names_its_model_and_goes_to_its_own_client() -> None:
    answers, tests = FakeClient(GOOD), FakeClient(TESTS)
    ctx = context(answers, tests={"model": "tests-model"})
    ctx.clients = {"tests": tests}
    record = asyncio.run(process(ctx, SEED, 0))
    assert record["status"] == "ok"
    assert [(r.stage, r.model) for r in answers.requests] == [("answer", "m")]
    assert [(r.stage, r.model) for r in tests.requests] == [("tests", "tests-model")]


def test_roles_fall_back_to_the_endpoint_and_only_a_base_url_makes_a_client() -> None:
    cfg = load_config(REPO / "pipelines/verified.toml", {"verify.tests.base_url": "http://127.0.0.1:9/v1",
                                                         "verify.answer.model": "other"})
    clients = role_clients(cfg, None)
    assert list(clients) == ["tests"] and clients["tests"].endpoints[0].cfg.base_url == "http://127.0.0.1:9/v1"
    off = load_config(REPO / "pipelines/verified.toml", {"verify.enabled": False,
                                                         "verify.tests.base_url": "http://127.0.0.1:9/v1"})
    assert role_clients(off, None) == {}


def test_the_referee_names_its_model_and_goes_to_its_own_client() -> None:
    from tests.stages.test_agreement_stage import STRONG, TRIPLE, side

    answers, referee = FakeClient(TRIPLE, TRIPLE, TRIPLE, GOOD, STRONG), FakeClient(side(tests=True))
    ctx = context(answers, answers=4, consensus=1.0, referee={"enabled": True, "model": "judge-model"})
    ctx.clients = {"referee": referee}
    record = asyncio.run(process(ctx, SEED, 0))
    assert record["status"] == "ok" and record["agreement"]["chosen"] == 3
    assert [(r.stage, r.model) for r in referee.requests] == [("referee", "judge-model")]
    assert "referee" not in {r.stage for r in answers.requests} and record["usage"]["referee"]["completion_tokens"]
    cfg = load_config(REPO / "pipelines/verified.toml", {"verify.referee.base_url": "http://127.0.0.1:9/v1"})
    assert list(role_clients(cfg, None)) == ["referee"]
