"""How the sim plays today's teachers: the parameters it takes, how it shows thinking, structured output.

  dialect "chat"       an OpenAI chat model: takes max_tokens or max_completion_tokens, refuses
                       reasoning_effort (400 naming it).
  dialect "reasoning"  an OpenAI reasoning model (o-series, GPT-5): refuses max_tokens and any
                       non-default temperature/top_p with the 400s OpenAI sends, thinks before answering,
                       and counts the thinking as completion_tokens_details.reasoning_tokens.
  think "none"         thinking, if any, is hidden (as OpenAI does);
        "inline"       `<think>...</think>` at the start of the content (DeepSeek-R1/Qwen3 without a
                       reasoning parser);
        "field"        the thinking in `reasoning_content` (vLLM with a reasoning parser).
  n                    answer `n` > 1 choices in one reply (vLLM and OpenAI chat models do); off, a 400
                       naming `n`, as servers that sample one choice answer.
  json_schema          honour response_format {"type": "json_schema"}: the reply (a fenced code block
                       unwrapped) goes into the schema's required string properties, or, when it is a
                       JSON object already (test cases), is sent as it is. Off, a
                       response_format other than text gets a 400 naming it, as servers without guided
                       decoding answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from evol.llm.types import CAP_NAMES
from evol.sim.responder import count_tokens

FENCED = re.compile(r"```[A-Za-z0-9_+-]*\n(.*?)```", re.S)
Teacher = Literal["chat", "reasoning"]
Think = Literal["none", "inline", "field"]
REASONING_CAP = "max_completion_tokens"  # the only output cap OpenAI's reasoning models take


@dataclass
class SimDialect:
    dialect: Teacher = "chat"
    think: Think = "none"
    json_schema: bool = False
    n: bool = True

    @property
    def thinks(self) -> bool:
        return self.dialect == "reasoning" or self.think != "none"


@dataclass
class Refusal:
    """A 400 the sim sends instead of an answer."""

    message: str
    param: str
    code: str


def refusal(body: dict[str, Any], d: SimDialect) -> Refusal | None:
    """The 400 this dialect answers `body` with, or None when it takes the request."""
    if d.dialect == "reasoning":
        for cap in CAP_NAMES:
            if cap != REASONING_CAP and body.get(cap) is not None:
                return Refusal(f"Unsupported parameter: '{cap}' is not supported with this model. "
                               f"Use '{REASONING_CAP}' instead.", cap, "unsupported_parameter")
        for name in ("temperature", "top_p"):
            value = body.get(name)
            if value is not None and value != 1:
                return Refusal(f"Unsupported value: '{name}' does not support {value} with this model. "
                               "Only the default (1) value is supported.", name, "unsupported_value")
    elif body.get("reasoning_effort") is not None:
        return Refusal("Unrecognized request argument supplied: reasoning_effort", "reasoning_effort",
                       "unsupported_parameter")
    if not d.n and int(body.get("n") or 1) > 1:
        return Refusal("Unsupported parameter: 'n' is not supported with this model.", "n", "unsupported_parameter")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        if not d.json_schema:
            return Refusal("response_format json_schema is not supported by this server", "response_format",
                           "unsupported_parameter")
        if fmt.get("type") == "json_schema" and not isinstance((fmt.get("json_schema") or {}).get("schema"), dict):
            return Refusal("response_format.json_schema.schema: expected an object", "response_format",
                           "invalid_value")
    return None


def output_cap(body: dict[str, Any]) -> int:
    """The output cap of a request, whatever it is called (0: none)."""
    return next((int(body[name]) for name in CAP_NAMES if body.get(name)), 0)


def thought_of(prompt: str, effort: str | None) -> str:
    """The sim's deterministic thinking about a prompt (longer at a higher reasoning_effort)."""
    topic = " ".join(prompt.split()[-24:])
    steps = {"minimal": 1, "low": 2, "medium": 3, "high": 5}.get(effort or "medium", 3)
    lines = [f"The request ends with: {topic}"]
    lines += [f"Step {i + 1}: consider the edge cases and the invariants before writing code." for i in range(steps)]
    return "\n".join(lines)


def structured(text: str, fmt: dict[str, Any]) -> str:
    """The reply as JSON under the request's schema: each required string property holds the reply text."""
    schema = (fmt.get("json_schema") or {}).get("schema") or {}
    block = FENCED.search(text)
    value = block.group(1).strip() if block else text.strip()
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if isinstance(data, dict):  # the reply is already the JSON object the schema asks for (test cases)
        return json.dumps(data)
    props = schema.get("properties") or {}
    names = [n for n in schema.get("required") or list(props) if (props.get(n) or {}).get("type") == "string"]
    return json.dumps({n: value for n in names})


def shape(body: dict[str, Any], d: SimDialect, prompt: str, text: str) -> tuple[str | None, str | None, str, int]:
    """(content, reasoning_content, finish_reason, reasoning_tokens) of a reply whose answer is `text`.

    The cap counts thinking and answer together, as reasoning models do: a short cap leaves a reply that is
    only thinking.
    """
    fmt = body.get("response_format")
    if d.json_schema and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        text = structured(text, fmt)
    thought = thought_of(prompt, body.get("reasoning_effort")) if d.thinks else ""
    cap, finish = output_cap(body), "stop"
    t_tokens = count_tokens(thought) if thought else 0
    if cap and t_tokens >= cap:
        thought, text, finish = thought[: cap * 4], "", "length"
        t_tokens = cap
    elif cap and t_tokens + count_tokens(text) > cap:
        text, finish = text[: (cap - t_tokens) * 4], "length"
    if d.think == "inline" and thought:
        closed = finish == "stop" or text
        return f"<think>\n{thought}\n" + ("</think>\n\n" + text if closed else ""), None, finish, t_tokens
    if d.think == "field" and thought:
        return (text or None), thought, finish, t_tokens
    return text, None, finish, t_tokens
