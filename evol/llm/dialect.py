"""Parameter dialects: what one endpoint accepts, learnt from its 400s and kept for the run.

Requests are written once, in the classic chat-completions shape (`max_tokens`, `temperature`, ...); the
dialect of the endpoint they go to rewrites them just before sending. Teachers differ in these ways:
  - the output cap: OpenAI's reasoning models (o-series, GPT-5) reject `max_tokens` and take
    `max_completion_tokens`; older servers know only `max_tokens`. `token_param = "auto"` starts with
    the first of `CAP_NAMES` (`evol.llm.types`) and moves to the next one when a 400 names the one sent;
  - sampling knobs a model does not take (reasoning models accept only the default temperature and top_p;
    OpenAI rejects vLLM's top_k): dropped for the rest of the run when a 400 names them as unsupported;
  - several choices in one reply (`n`): sent until a 400 names `n`; from then on such a request gets one
    choice, and whoever asked for k fetches the rest as requests of their own (evol.llm.sample);
  - structured output: `response_format` with a JSON schema is sent with requests that carry one, until a
    400 names `response_format` / `json_schema`; from then on such requests go without it.
Each lesson is logged once. Stages never see any of this: the client owns the endpoint's dialect.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from evol.llm.types import CAP_NAMES, LLMRequest, TokenParam

log = logging.getLogger("evol.llm")

# Parameters that may be dropped when an endpoint says it does not take them (the reply stays valid).
DROPPABLE = ("temperature", "top_p", "reasoning_effort", "top_k", "min_p", "repetition_penalty", "stop", "seed",
             "presence_penalty", "frequency_penalty", "n")
REFUSAL = re.compile(r"unsupported|not supported|unrecognized|unknown|not permitted|not allowed|does not support|"
                     r"extra inputs|extra_forbidden|unexpected keyword|invalid (?:parameter|argument)", re.IGNORECASE)
LEARN_STATUS = (400, 422)


def _named(name: str, text: str) -> bool:
    return re.search(rf"(?<![a-z_]){re.escape(name)}(?![a-z_])", text, re.IGNORECASE) is not None


class Dialect:
    """What one endpoint accepts. `apply` rewrites a request for it; `learn` reads a 400 and updates it."""

    def __init__(self, url: str, token_param: TokenParam = "auto") -> None:
        self.url = url
        self.auto = token_param == "auto"
        self.cap = CAP_NAMES[0] if token_param == "auto" else token_param
        self.tried = {self.cap}
        self.dropped: set[str] = set()
        self.schema = True  # response_format with a JSON schema is accepted (until a 400 says otherwise)

    def apply(self, req: LLMRequest) -> LLMRequest:
        """The request as this endpoint takes it (the original is left alone: its cache key is the job's)."""
        params = dict(req.params)
        extra = dict(params.get("extra_body") or {})
        cap = next((params.pop(n) for n in CAP_NAMES if n in params), None)
        if cap is not None:
            params[self.cap] = cap
        for name in self.dropped:
            params.pop(name, None)
            extra.pop(name, None)
        if "extra_body" in params:
            params["extra_body"] = extra
        if req.json_schema is not None and self.schema and req.api == "chat":
            params["response_format"] = response_format(req.json_schema)
        return replace(req, params=params)

    def learn(self, sent: LLMRequest, status: int | None, message: str) -> bool:
        """Read the failed reply to `sent` (as sent); True when the dialect changed because of it.

        Only a parameter that was sent and that the reply names as unsupported is learnt from.
        """
        if status not in LEARN_STATUS or not REFUSAL.search(message):
            return False
        params = {**sent.params, **(sent.params.get("extra_body") or {})}
        untried = [name for name in CAP_NAMES if name not in self.tried]
        if self.auto and untried and self.cap in params and _named(self.cap, message):
            log.warning("evol: %s does not take %s: sending %s instead for the rest of the run",
                        self.url, self.cap, untried[0])
            self.cap, self.auto = untried[0], len(untried) > 1  # each name is tried once
            self.tried.add(self.cap)
            return True
        if self.schema and "response_format" in params and (
                _named("response_format", message) or _named("json_schema", message)):
            log.warning("evol: %s does not take response_format with a JSON schema: structured replies off, "
                        "replies are parsed from their text", self.url)
            self.schema = False
            return True
        for name in DROPPABLE:
            if name in params and name not in self.dropped and _named(name, message):
                log.warning("evol: %s does not take %s: dropped for the rest of the run", self.url, name)
                self.dropped.add(name)
                return True
        return False

    def snapshot(self) -> dict[str, Any]:
        """The dialect as learnt so far (for the manifest)."""
        return {"token_param": self.cap, "dropped": sorted(self.dropped), "json_schema": self.schema}


def response_format(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI `response_format` asking for a reply under `schema`."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "reply"))[:64]
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
