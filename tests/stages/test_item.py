"""One item's trip through the stages, with a scripted fake client (no HTTP)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evol.config import load_config
from evol.llm import LLMFailure, LLMRequest, LLMResult
from evol.prompts import PromptSet
from evol.records import make_seed
from evol.stages.context import ItemContext
from evol.stages.eliminate import elimination_rules
from evol.stages.item import process
from evol.stages.requests import RequestFactory
from evol.stages.response_filters import response_rules
from tests.stages.fakes import FakeClient

REPO = Path(__file__).resolve().parents[2]
PARENT = make_seed("Write a Python function that merges two sorted lists into one sorted list.")
EVOLVED = PARENT["instruction"] + " Do it in place, in linear time, and explain why the merge is stable."
ANSWER = "Walk both lists with two indices.\n\n```python\ndef merge(a, b):\n    return sorted(a + b)\n```"


class FakeDecontaminator:
    def __init__(self, bad_word: str) -> None:
        self.bad_word = bad_word

    def check(self, record: dict) -> dict | None:
        if self.bad_word in (record.get("output") or ""):
            return {"reason": "contaminated", "benchmark": "humaneval", "benchmark_id": "HumanEval/0",
                    "method": "ngram"}
        return None


def context(client: FakeClient, *, judge: bool = False, decontam: FakeDecontaminator | None = None) -> ItemContext:
    cfg = load_config(REPO / "pipelines/demo.toml")
    factory = RequestFactory(cfg, PromptSet(list(cfg.evolve.methods)), "m")
    return ItemContext(client=client, requests=factory, elimination=elimination_rules(cfg.eliminate),  # type: ignore[arg-type]
                       responses=response_rules(cfg.filters), decontaminator=decontam, judge=judge)


def test_evolve_then_answer() -> None:
    client = FakeClient(EVOLVED, ANSWER)
    record = asyncio.run(process(context(client), PARENT, 1))
    assert record["status"] == "ok" and record["instruction"] == EVOLVED and record["output"] == ANSWER
    assert record["parent_id"] == PARENT["id"] and record["root_id"] == PARENT["id"] and record["round"] == 1
    assert [r.stage for r in client.requests] == ["evolve", "answer"]
    assert PARENT["instruction"] in client.requests[0].messages[0]["content"]
    assert client.requests[1].messages[0]["content"].strip() == EVOLVED
    assert set(record["usage"]) == {"evolve", "answer"}
    first, second = (r.deadline for r in client.requests)
    assert first == second and first is not None  # one deadline bounds all of the item's retries


def test_seed_is_answered_in_round_zero() -> None:
    client = FakeClient(ANSWER)
    record = asyncio.run(process(context(client), PARENT, 0))
    assert record["id"] == PARENT["id"] and record["output"] == ANSWER and record["status"] == "ok"


@pytest.mark.parametrize(
    ("replies", "judge", "stage", "reason"),
    [
        ((LLMFailure("rate_limit", "429 after 6 attempts"),), False, "evolve", "llm_error:rate_limit"),
        ((PARENT["instruction"],), False, "eliminate", "no_information_gain"),
        ((EVOLVED, "Equal"), True, "judge", "judged_equal"),
        ((EVOLVED, LLMFailure("server_error", "500")), False, "answer", "llm_error:server_error"),
        ((EVOLVED, "Sorry, I can't do that."), False, "filter", "refusal"),
    ],
)
def test_failures_are_rejected_with_stage_and_reason(replies: tuple, judge: bool, stage: str, reason: str) -> None:
    record = asyncio.run(process(context(FakeClient(*replies), judge=judge), PARENT, 1))
    assert (record["status"], record["stage"], record["reason"]) == ("rejected", stage, reason)
    assert record["output"] in (None, "Sorry, I can't do that.")


def test_judge_not_equal_goes_on() -> None:
    client = FakeClient(EVOLVED, "Not Equal", ANSWER)
    record = asyncio.run(process(context(client, judge=True), PARENT, 1))
    assert record["status"] == "ok" and [r.stage for r in client.requests] == ["evolve", "judge", "answer"]


def test_contaminated_answer_is_rejected_with_benchmark_item() -> None:
    client = FakeClient(EVOLVED, ANSWER)
    record = asyncio.run(process(context(client, decontam=FakeDecontaminator("sorted(a + b)")), PARENT, 1))
    assert record["stage"] == "decontam" and record["reason"] == "contaminated"
    assert record["benchmark_id"] == "HumanEval/0" and record["match"] == "ngram"
    assert record["method"] != "ngram"  # the evolution method is not overwritten by the match kind


def test_method_choice_is_seeded_and_weighted() -> None:
    cfg = load_config(REPO / "pipelines/demo.toml")
    factory = RequestFactory(cfg, PromptSet(list(cfg.evolve.methods)), "m")
    picks = [factory.choose_method(f"r1-{i}") for i in range(4000)]
    assert picks == [factory.choose_method(f"r1-{i}") for i in range(4000)]
    share = picks.count("complexity") / len(picks)
    assert 0.04 < share < 0.08  # weight 0.25 of 4.25
    assert {p for p in picks} == set(cfg.evolve.methods)


def test_thinking_is_stored_apart_per_stage_only_when_kept() -> None:
    class Thinking(FakeClient):
        async def complete(self, req: LLMRequest) -> LLMResult:
            result = await super().complete(req)
            result.reasoning = f"thought about {req.stage}"
            return result

    ctx = context(Thinking(EVOLVED, ANSWER))
    ctx.keep_reasoning = True
    record = asyncio.run(process(ctx, PARENT, 1))
    assert record["reasoning"] == {"evolve": "thought about evolve", "answer": "thought about answer"}
    assert "thought" not in record["instruction"] + record["output"]
    ctx = context(Thinking(EVOLVED, ANSWER))
    ctx.keep_reasoning = False
    assert "reasoning" not in asyncio.run(process(ctx, PARENT, 1))
