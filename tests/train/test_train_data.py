"""Masking, EOS, truncation, records, [PAD] + embedding resize, the collator and packing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from evol.errors import DataError
from evol.template import build_prompt
from evol.train.collator import SFTCollator
from evol.train.data import (
    IGNORE_INDEX,
    PAD_TOKEN,
    _bos,
    _encode,
    build_example,
    ensure_pad_token,
    load_records,
    pack_examples,
    tokenize_records,
)
from evol.train.run import resize_for_tokenizer


def encode_prompt(tokenizer: Any, instruction: str, input: str = "") -> list[int]:
    """The prompt ids exactly as at inference: ``build_prompt`` tokenized on its own."""
    return _bos(tokenizer) + _encode(tokenizer, [build_prompt(instruction, input)])[0]

BOUNDARY_OUTPUTS = [
    "def f():\n    return 1\n",
    " leading space",
    "  two spaces",
    "\n\ndef g():\n    pass",
    "\tindented",
    ".5 is a float",
    "): closes it",
    ":: double colon",
    "- a markdown list item",
    "```python\nprint(1)\n```",
    "x",
]


def _ids(tok: Any, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("output", BOUNDARY_OUTPUTS)
def test_labels_are_minus_100_exactly_on_the_prompt(tokenizer: Any, output: str) -> None:
    rec = {"instruction": "Write code.", "input": "", "output": output}
    (ex,), stats = tokenize_records([rec], tokenizer, max_length=512)
    prompt = _ids(tokenizer, build_prompt("Write code."))
    n = len(prompt)
    assert ex["input_ids"][:n] == prompt  # the very ids inference feeds the model
    assert ex["labels"][:n] == [IGNORE_INDEX] * n
    assert ex["labels"][n:] == ex["input_ids"][n:]  # every response token and EOS is supervised
    assert IGNORE_INDEX not in ex["labels"][n:]
    assert ex["input_ids"][-1] == tokenizer.eos_token_id
    assert tokenizer.decode(ex["input_ids"][n:-1]) == output  # response round-trips, nothing lost at the seam
    assert stats.kept == 1 and stats.truncated == 0 and stats.target_tokens == len(ex["input_ids"]) - n


def test_joint_tokenization_would_drift_at_the_boundary(tokenizer: Any) -> None:
    """Why prompt and response are tokenized separately: BPE merges ':' + '-' across the seam."""
    prompt = build_prompt("List things.")
    output = "- a markdown list item"
    joint = _ids(tokenizer, prompt + output)
    separate = _ids(tokenizer, prompt) + _ids(tokenizer, output)
    assert joint != separate and len(joint) < len(separate)
    (ex,), _ = tokenize_records([{"instruction": "List things.", "input": "", "output": output}], tokenizer, 512)
    assert ex["input_ids"][:-1] == separate


def test_input_field_uses_the_with_input_template(tokenizer: Any) -> None:
    rec = {"instruction": "Add them.", "input": "a = 1, b = 2", "output": "a + b"}
    (ex,), _ = tokenize_records([rec], tokenizer, 512)
    prompt = encode_prompt(tokenizer, "Add them.", "a = 1, b = 2")
    assert "### Input:" in tokenizer.decode(prompt)
    assert ex["input_ids"][: len(prompt)] == prompt and ex["labels"][len(prompt)] != IGNORE_INDEX


def test_overlong_response_is_cut_without_eos(tokenizer: Any) -> None:
    """A cut response must not end with EOS: that would teach the model to stop mid-answer."""
    rec = {"instruction": "Write a lot.", "input": "", "output": "x = 1\n" * 200}
    n_prompt = len(encode_prompt(tokenizer, "Write a lot."))
    (ex,), stats = tokenize_records([rec], tokenizer, max_length=64)
    assert len(ex["input_ids"]) == len(ex["labels"]) == 64
    assert tokenizer.eos_token_id not in ex["input_ids"][n_prompt:]
    response = _ids(tokenizer, rec["output"])
    assert ex["input_ids"][n_prompt:] == response[: 64 - n_prompt]  # the response's first tokens, nothing else
    assert ex["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt and IGNORE_INDEX not in ex["labels"][n_prompt:]
    assert stats.truncated == 1 and stats.kept == 1 and stats.dropped_truncated == 0


def test_truncation_drop_drops_and_counts(tokenizer: Any) -> None:
    short = {"instruction": "Short.", "input": "", "output": "ok"}
    long = {"instruction": "Write a lot.", "input": "", "output": "x = 1\n" * 200}
    examples, stats = tokenize_records([short, long, short], tokenizer, max_length=64, truncation="drop")
    assert len(examples) == 2 and all(e["input_ids"][-1] == tokenizer.eos_token_id for e in examples)
    d = stats.as_dict()
    assert (d["kept"], d["truncated"], d["dropped_truncated"], d["dropped_prompt_too_long"]) == (2, 0, 1, 0)
    assert d["dropped_examples_first"] == [1]


def test_overlong_prompt_is_dropped_and_counted(tokenizer: Any) -> None:
    short = {"instruction": "Short.", "input": "", "output": "ok"}
    long = {"instruction": "word " * 200, "input": "", "output": "ok"}
    examples, stats = tokenize_records([short, long, short], tokenizer, max_length=64)
    assert len(examples) == 2
    assert (stats.records, stats.kept, stats.dropped_prompt_too_long, stats.dropped_examples) == (3, 2, 1, [1])


def test_boundary_lengths() -> None:
    eos = 0
    # response + EOS fit exactly: kept whole, EOS last
    ex, cut = build_example([5] * 6, [7, 7, 7], eos, max_length=10)
    assert ex == {"input_ids": [5] * 6 + [7, 7, 7, eos], "labels": [IGNORE_INDEX] * 6 + [7, 7, 7, eos]} and not cut
    # one slot short: the response fits but its EOS does not -> cut, no EOS
    ex, cut = build_example([5] * 7, [7, 7, 7], eos, max_length=10)
    assert ex == {"input_ids": [5] * 7 + [7, 7, 7], "labels": [IGNORE_INDEX] * 7 + [7, 7, 7]} and cut
    assert build_example([5] * 7, [7, 7, 7], eos, max_length=10, truncation="drop") == (None, True)
    # room for two response tokens, none for EOS
    ex, cut = build_example([5] * 8, [7, 8, 9], eos, max_length=10)
    assert ex is not None and ex["input_ids"] == [5] * 8 + [7, 8] and cut
    # the prompt leaves room for less than a response token and EOS -> dropped, not counted as truncation
    assert build_example([5] * 9, [7], eos, max_length=10) == (None, False)
    assert build_example([5] * 12, [7], eos, max_length=10, truncation="drop") == (None, False)


def test_records_missing_fields_are_named(tmp_path: Path) -> None:
    good = {"instruction": "a", "output": "b"}
    path = tmp_path / "train.json"
    path.write_text(json.dumps([good, good, {"id": "r-7", "instruction": "x"}]))
    with pytest.raises(DataError, match=r"train.json: record 2 \(id 'r-7'\) has no 'output' field"):
        load_records(path)
    path.write_text(json.dumps([good, {"output": "y"}]))
    with pytest.raises(DataError, match=r"record 1 has no 'instruction' field"):
        load_records(path)
    path.write_text(json.dumps([{"instruction": "a", "output": "   "}]))
    with pytest.raises(DataError, match=r"record 0: 'output' must be a non-empty string"):
        load_records(path)
    jsonl = tmp_path / "train.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in [good, {"instruction": "q", "input": None, "output": "o"}]))
    assert load_records(jsonl)[1] == {"instruction": "q", "input": "", "output": "o"}


def test_pad_token_added_only_when_missing_and_embeddings_mean_resized(tiny_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    assert tok.pad_token is None
    assert ensure_pad_token(tok) is True and tok.pad_token == PAD_TOKEN
    assert ensure_pad_token(tok) is False  # already there: untouched
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    before = model.get_input_embeddings().weight.detach().clone()
    old, new = resize_for_tokenizer(model, tok, 64)
    after = model.get_input_embeddings().weight.detach()
    assert old == len(tok) - 1 and new % 64 == 0 and new >= len(tok)
    assert torch.equal(after[:old], before)
    pad_row = after[tok.pad_token_id]
    # mean_resizing: drawn around the old rows' mean, on their scale (not zeros, not N(0, 0.02) noise)
    assert torch.isfinite(pad_row).all() and pad_row.abs().sum() > 0
    assert (pad_row - before.mean(0)).norm() < 3 * (before - before.mean(0)).norm(dim=1).mean()
    assert model.get_output_embeddings().weight.shape[0] == new  # tied LM head follows
    assert resize_for_tokenizer(model, tok, 64) is None  # nothing to do the second time


def test_collator_pads_labels_with_minus_100() -> None:
    feats = [{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}, {"input_ids": [4], "labels": [4]}]
    batch = SFTCollator(pad_token_id=9)(feats)
    assert batch["input_ids"].tolist() == [[1, 2, 3], [4, 9, 9]]
    assert batch["labels"].tolist() == [[-100, 2, 3], [4, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert SFTCollator(pad_token_id=9, pad_to_multiple_of=8)(feats)["input_ids"].shape == (2, 8)


def test_packing_keeps_every_example_whole() -> None:
    examples = [{"input_ids": [i] * n, "labels": [-100] + [i] * (n - 1)} for i, n in enumerate([5, 9, 3, 7, 4, 2])]
    packed = pack_examples(examples, max_length=12)
    assert all(len(p["input_ids"]) <= 12 for p in packed)
    assert sum(len(p["input_ids"]) for p in packed) == sum(len(e["input_ids"]) for e in examples)
    assert len(packed) == 3  # 30 tokens in bins of 12
    for p in packed:
        starts = [j for j, pos in enumerate(p["position_ids"]) if pos == 0]
        for a, b in zip(starts, [*starts[1:], len(p["input_ids"])], strict=True):
            seg = p["input_ids"][a:b]
            assert len(set(seg)) == 1 and p["position_ids"][a:b] == list(range(b - a))
            assert p["labels"][a] == IGNORE_INDEX  # no token is trained to predict the next example


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_examples_do_not_attend_to_each_other(tiny_dir: Path, tokenizer: Any, attn: str) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, attn_implementation=attn).eval()
    recs = [{"instruction": f"Task {i}.", "input": "", "output": "y = 2\n" * (i + 1)} for i in range(5)]
    examples, _ = tokenize_records(recs, tokenizer, 128)
    packed = pack_examples(examples, max_length=128)
    assert len(packed) < len(examples)
    collate = SFTCollator(pad_token_id=tokenizer.eos_token_id)
    with torch.no_grad():
        batch = collate(packed)
        assert "attention_mask" not in batch
        # use_cache=False as in training (evol.train turns the cache off): with a cache transformers skips the
        # packed-sequence mask.
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
        flat = SFTCollator(pad_token_id=0, flatten=True)(packed)
        assert flat["input_ids"].shape[0] == 1
        flat_logits = model(input_ids=flat["input_ids"], position_ids=flat["position_ids"], use_cache=False).logits[0]
        alone = [model(input_ids=torch.tensor([e["input_ids"]])).logits[0] for e in examples]
    by_ids = {tuple(e["input_ids"]): a for e, a in zip(examples, alone, strict=True)}
    offset = 0
    for row, p in enumerate(packed):
        starts = [j for j, pos in enumerate(p["position_ids"]) if pos == 0] + [len(p["input_ids"])]
        for a, b in zip(starts, starts[1:], strict=False):
            ref = by_ids[tuple(p["input_ids"][a:b])]
            torch.testing.assert_close(logits[row, a:b], ref, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(flat_logits[offset + a : offset + b], ref, atol=1e-5, rtol=1e-4)
        offset += len(p["input_ids"])
