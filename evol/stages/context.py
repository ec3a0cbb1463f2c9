"""What one item's trip shares with every other (ItemContext) and what it carries along (Item)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from evol.config import VerifySettings
from evol.llm import LLMClient, LLMFailure, LLMRequest, LLMResult
from evol.records import Record
from evol.stages.requests import RequestFactory
from evol.stages.rules import Rule


@dataclass(kw_only=True)
class ItemContext:
    """The run-wide parts every item's stages use."""

    client: LLMClient
    requests: RequestFactory
    elimination: list[Rule]
    responses: list[Rule]
    decontaminator: Any | None = None
    judge: bool = False
    answer_seeds: bool = True
    item_deadline: float = 900.0  # seconds for all of one item's requests, retries included
    verify: VerifySettings = field(default_factory=VerifySettings)
    sandbox: Any | None = None  # runs answers against tests (verification); None until first needed
    keep_reasoning: bool = False  # store each stage's thinking in record["reasoning"][stage] ([reasoning] keep)
    clients: dict[str, Any] = field(default_factory=dict)  # a verification role's own client, by stage
    stages: list[Any] | None = None  # the run's stages (evol/stages/compose.py); None: the table's
    calls_log: Any | None = None  # the run's calls log (evol.calls.CallLog), flushed at each round's end

    @property
    def model(self) -> str:
        return self.requests.model


@dataclass
class Item:
    """One pool item on its way through a round: the record being built and the parent it came from."""

    record: Record
    parent: Record
    round_no: int
    deadline: float
    agreeing: list[str] = field(default_factory=list)  # the code of each answer that agreed with the kept one

    @classmethod
    def start(cls, record: Record, parent: Record, round_no: int, budget_s: float) -> Item:
        return cls(record, parent, round_no, time.monotonic() + budget_s)


@dataclass(frozen=True)
class Reject:
    """A stage's decision to drop the item: the reason, and any fields to store beside it."""

    reason: str
    extra: dict[str, Any] = field(default_factory=dict)


class EndpointPending(Exception):
    """An item's request failed for the endpoint's sake past its retries: the item stays pending (a rerun
    retries it) instead of being rejected. Not an LLMFailure, so no stage writes it off."""

    def __init__(self, failure: LLMFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


async def call(ctx: ItemContext, item: Item, request: LLMRequest) -> LLMResult:
    """One of the item's requests, its retries bounded by the item's deadline.

    A transient failure that lasted (LLMFailure.transient) raises EndpointPending; any other LLMFailure is
    the stage's to turn into a rejection.

    A reasoning teacher's thinking never reaches the data fields: with `keep_reasoning` it is stored apart,
    in `record["reasoning"][stage]` (the last attempt's, for a resampled answer).
    """
    request.deadline = item.deadline
    try:
        result = await ctx.clients.get(request.stage, ctx.client).complete(request)
    except LLMFailure as exc:
        if getattr(exc, "transient", False):
            raise EndpointPending(exc) from None
        raise
    if ctx.keep_reasoning and getattr(result, "reasoning", None):
        item.record.setdefault("reasoning", {})[request.stage] = result.reasoning
    return result


async def ask(ctx: ItemContext, item: Item, stage: str, template: str, key: str | None = None,
              **values: str) -> LLMResult | Reject:
    """A stage's one request from its template (what a new LLM stage needs): the template's sha goes in
    `record["prompts"][key]`, the usage in `record["usage"][key]` (`key`: the stage's name unless given, e.g. a
    second request of a role's stage); a failed call is `llm_error:<kind>`."""
    key = key or stage
    request, sha = ctx.requests.ask(stage, template, item.round_no, **values)
    item.record["prompts"][key] = sha
    try:
        result = await call(ctx, item, request)
    except LLMFailure as exc:
        return Reject(f"llm_error:{exc.kind}")
    item.record["usage"][key] = result.usage
    return result
