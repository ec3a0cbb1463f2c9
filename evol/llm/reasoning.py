"""Reasoning output: split a teacher's thinking from the text that may become data.

Reasoning models show their thinking in one of three ways, and every one is handled here, in one place:
  - a separate message field: `reasoning_content` (vLLM with a reasoning parser, DeepSeek, LiteLLM) or
    `reasoning` (OpenRouter, Ollama's OpenAI endpoint, newer vLLM);
  - a block at the start of `content`: `<think>...</think>` (DeepSeek-R1, Qwen3, QwQ served without a
    reasoning parser) or a variant tag (`<thinking>`, `<reasoning>`, `<thought>`);
  - the same block without its opening tag, when the chat template already put `<think>` in the prompt:
    `...thinking...</think>answer`.
An opening tag that is never closed means the reply was cut while still thinking: all of it is thinking.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

TAGS = ("think", "thinking", "reasoning", "thought")
FIELDS = ("reasoning_content", "reasoning")

_OPEN = re.compile(r"\A\s*<(" + "|".join(TAGS) + r")>", re.IGNORECASE)
_LONE_CLOSE = re.compile(r"</think>", re.IGNORECASE)


class ReasoningSettings(BaseModel):
    """[reasoning]: keep = true stores each stage's thinking in the record's `reasoning` field."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    keep: bool = False


def split_reasoning(content: str, message: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """(text, reasoning) of one reply: `text` never holds thinking; `reasoning` is None when there is none.

    `message` is the reply's message object (chat) or choice (completions), read for the reasoning fields.
    """
    parts: list[str] = []
    for name in FIELDS:
        value = (message or {}).get(name)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
            break
    text = content
    opened = _OPEN.match(content)
    if opened is not None:
        close = re.search(rf"</{opened.group(1)}>", content[opened.end():], re.IGNORECASE)
        if close is None:  # cut while thinking
            thought, text = content[opened.end():], ""
        else:
            thought = content[opened.end(): opened.end() + close.start()]
            text = content[opened.end() + close.end():]
        parts.append(thought.strip())
    elif (lone := _LONE_CLOSE.search(content)) is not None and "<think>" not in content[: lone.start()].lower():
        parts.append(content[: lone.start()].strip())
        text = content[lone.end():]
    reasoning = "\n\n".join(p for p in parts if p)
    return text.lstrip() if reasoning or opened else text, reasoning or None


def only_reasoning(text: str, reasoning: str | None) -> bool:
    """A reply whose whole content was thinking (typically cut at max_tokens before the answer)."""
    return not text.strip() and bool(reasoning)
