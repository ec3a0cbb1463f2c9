"""Records -> token ids and labels: the prompt comes from ``evol.template``, the loss covers only the response.

The prompt and the response are tokenized separately and their ids concatenated, so the label boundary is exactly
the end of the prompt whatever the response starts with (no drift from BPE merges across the boundary), and the
prompt ids are the very ids the model sees at inference, where the prompt is tokenized on its own.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evol.errors import DataError
from evol.io import read_json_or_jsonl
from evol.template import build_prompt, build_target

IGNORE_INDEX = -100
PAD_TOKEN = "[PAD]"
Truncation = Literal["cut", "drop"]


@dataclass
class SFTStats:
    """What tokenization did to the records; logged and written next to the model."""

    records: int = 0
    kept: int = 0
    truncated: int = 0  # kept, response cut at max_length (no EOS)
    dropped_truncated: int = 0  # dropped because the response did not fit (truncation = "drop")
    dropped_prompt_too_long: int = 0
    tokens: int = 0
    target_tokens: int = 0
    dropped_examples: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts only (the dropped indices are capped at 20)."""
        d = {k: v for k, v in self.__dict__.items() if k != "dropped_examples"}
        d["dropped_examples_first"] = self.dropped_examples[:20]
        return d


def _record_name(i: int, rec: dict[str, Any]) -> str:
    """``record 17 (id 'x')`` - how errors point at a record."""
    rid = rec.get("id", rec.get("uid"))
    return f"record {i}" + (f" (id {rid!r})" if rid is not None else "")


def load_records(path: str | Path) -> list[dict[str, str]]:
    """Load instruction/input/output records from a JSON list or JSONL file, checking every record.

    A record without a non-empty string ``instruction`` or ``output`` is a DataError naming the record.
    """
    path = Path(path)
    raw = read_json_or_jsonl(path)
    out = []
    for i, rec in enumerate(raw):
        for key in ("instruction", "output"):
            if key not in rec:
                raise DataError(f"{path}: {_record_name(i, rec)} has no {key!r} field (keys: {sorted(rec)})")
            if not isinstance(rec[key], str) or not rec[key].strip():
                raise DataError(f"{path}: {_record_name(i, rec)}: {key!r} must be a non-empty string")
        inp = rec.get("input") or ""
        if not isinstance(inp, str):
            raise DataError(f"{path}: {_record_name(i, rec)}: 'input' must be a string")
        out.append({"instruction": rec["instruction"], "input": inp, "output": rec["output"]})
    if not out:
        raise DataError(f"{path}: no records")
    return out


def _encode(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """Token ids without special tokens, batched (fast tokenizers run the batch in parallel)."""
    ids: list[list[int]] = []
    for start in range(0, len(texts), 1024):
        ids += tokenizer(texts[start : start + 1024], add_special_tokens=False)["input_ids"]
    return ids


def _bos(tokenizer: Any) -> list[int]:
    """[bos] for tokenizers that prepend one (not the StarCoder family), else []."""
    if getattr(tokenizer, "add_bos_token", False) and tokenizer.bos_token_id is not None:
        return [tokenizer.bos_token_id]
    return []


def build_example(
    prompt_ids: list[int], response_ids: list[int], eos_id: int, max_length: int, truncation: Truncation = "cut"
) -> tuple[dict[str, list[int]] | None, bool]:
    """Concatenate prompt + response + EOS with labels -100 on the prompt; returns (example, truncated).

    When response + EOS does not fit, ``truncation="cut"`` keeps the response cut at ``max_length`` and adds no
    EOS (an EOS after a cut response would teach the model to stop mid-answer; this is also what WizardCoder's
    train.py trains on, as its tokenizer truncation cuts the EOS off), and ``"drop"`` drops the example (None,
    True). An example whose prompt leaves no room for one response token is dropped (None, False).
    """
    room = max_length - len(prompt_ids)  # slots left for response tokens and EOS
    if room < 2:
        return None, False
    target = response_ids + [eos_id]
    truncated = len(target) > room
    if truncated:
        if truncation == "drop":
            return None, True
        target = response_ids[:room]
    return {
        "input_ids": prompt_ids + target,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + target,
    }, truncated


def tokenize_records(
    records: list[dict[str, str]], tokenizer: Any, max_length: int, truncation: Truncation = "cut"
) -> tuple[list[dict[str, list[int]]], SFTStats]:
    """Tokenize every record; over-long prompts are dropped, over-long responses cut or dropped; all counted."""
    eos_id = tokenizer.eos_token_id
    if eos_id is None:
        raise DataError("the tokenizer has no EOS token; cannot mark the end of responses")
    bos = _bos(tokenizer)
    prompts = _encode(tokenizer, [build_prompt(r["instruction"], r["input"]) for r in records])
    responses = _encode(tokenizer, [build_target(r["output"]) for r in records])
    stats = SFTStats(records=len(records))
    examples = []
    for i, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        ex, truncated = build_example(bos + p, r, eos_id, max_length, truncation)
        if ex is None:
            if truncated:
                stats.dropped_truncated += 1
            else:
                stats.dropped_prompt_too_long += 1
            stats.dropped_examples.append(i)
            continue
        stats.truncated += truncated
        stats.tokens += len(ex["input_ids"])
        stats.target_tokens += sum(1 for t in ex["labels"] if t != IGNORE_INDEX)
        examples.append(ex)
    stats.kept = len(examples)
    return examples, stats


def pack_examples(examples: list[dict[str, list[int]]], max_length: int) -> list[dict[str, list[int]]]:
    """Pack several examples per sequence (best-fit decreasing); ``position_ids`` restart at 0 for each one.

    The model sees no attention mask for packed batches, so transformers derives a block-diagonal causal mask from
    the restarting position ids (sdpa/eager) or per-example cu_seqlens (flash-attention): no example attends to
    another. Labels need no change: every example starts with prompt tokens, whose labels are already -100, so no
    token is trained to predict the next example.
    """
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["input_ids"]), reverse=True)
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # sorted (free slots, bin index)
    for i in order:
        n = len(examples[i]["input_ids"])
        j = bisect.bisect_left(free, (n, -1))
        if j < len(free):
            slots, b = free.pop(j)
            bins[b].append(i)
            bisect.insort(free, (slots - n, b))
        else:
            bins.append([i])
            bisect.insort(free, (max_length - n, len(bins) - 1))
    packed = []
    for members in bins:
        ids: list[int] = []
        labels: list[int] = []
        pos: list[int] = []
        for i in members:
            ex = examples[i]
            ids += ex["input_ids"]
            labels += ex["labels"]
            pos += list(range(len(ex["input_ids"])))
        packed.append({"input_ids": ids, "labels": labels, "position_ids": pos})
    return packed


def ensure_pad_token(tokenizer: Any) -> bool:
    """Add ``[PAD]`` only when the tokenizer has no pad token (StarCoder's has none); True when added."""
    if tokenizer.pad_token is not None:
        return False
    tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
    return True
