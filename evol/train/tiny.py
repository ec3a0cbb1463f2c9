"""Locally built StarCoder-architecture models and tokenizers: no hub access, ever.

Tests use the tiny pair; ``scripts/gpu_check.sh`` uses the ~300M model (``size="gpu-check"``) with the same tokenizer.
Everything here is deterministic for a given seed.
"""

from __future__ import annotations

import random
from typing import Any

EOS = "<|endoftext|>"

_CORPUS = [
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
    "Below is an instruction that describes a task, paired with an input that provides further context.",
    "### Instruction:\n### Input:\n### Response:\n",
    "def add(a, b):\n    return a + b\n",
    "def reverse(s: str) -> str:\n    \"\"\"Reverse a string.\"\"\"\n    return s[::-1]\n",
    "for i in range(10):\n    print(i * i)\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n"
    "        self.items.append(x)\n",
    "import os\nimport sys\nfrom typing import List, Dict\n\nif __name__ == '__main__':\n    main()\n",
    "Write a Python function that returns the sum of a list of numbers.",
    "Write a function to check whether a number is prime. Use a loop and return True or False.",
    "Explain the code, then fix the bug: the loop never ends because the counter is not incremented.",
    "SELECT name, COUNT(*) FROM users GROUP BY name ORDER BY 2 DESC;",
    "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }",
    "The quick brown fox jumps over the lazy dog. 0123456789 !@#$%^&*()[]{}<>;:'\",.?/\\|`~-_=+",
]

_TASKS = [
    ("add", "two numbers", "a + b"),
    ("multiply", "two numbers", "a * b"),
    ("subtract", "two numbers", "a - b"),
    ("maximum", "two numbers", "max(a, b)"),
    ("minimum", "two numbers", "min(a, b)"),
    ("average", "two numbers", "(a + b) / 2"),
    ("power", "a base and an exponent", "a ** b"),
    ("modulo", "two integers", "a % b"),
    ("floor division", "two integers", "a // b"),
    ("hypotenuse", "two sides", "(a * a + b * b) ** 0.5"),
]


def build_tiny_tokenizer(vocab_size: int = 512, extra_corpus: list[str] | None = None) -> Any:
    """A byte-level BPE tokenizer like StarCoder's: ``<|endoftext|>`` is BOS/EOS/UNK and there is no pad token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = _CORPUS * 4 + [p["instruction"] + "\n" + p["output"] for p in synthetic_pairs(40)]
    tok.train_from_iterator(corpus + (extra_corpus or []), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS, eos_token=EOS, unk_token=EOS, model_max_length=4096
    )


SHAPES = {
    # n_embd, n_layer, n_head
    "tiny": (64, 2, 4),
    # 317M parameters: starcoderbase-1b's width and heads (head dim 128) with 5 of its 24 layers. Wide matmuls
    # keep an H100 busy; README "GPU check" lists the MFU of the other shapes measured.
    "gpu-check": (2048, 5, 16),
}


def model_config(
    vocab_size: int,
    size: str = "tiny",
    eos_token_id: int = 0,
    n_positions: int = 2048,
    shape: tuple[int, int, int] | None = None,
) -> Any:
    """A GPTBigCode (StarCoder) config: ``tiny`` for tests, ``gpu-check`` for a ~300M model, or an explicit
    ``shape`` (n_embd, n_layer, n_head)."""
    from transformers import GPTBigCodeConfig

    if shape is None and size not in SHAPES:
        raise ValueError(f"unknown model size {size!r}; expected one of {sorted(SHAPES)}")
    n_embd, n_layer, n_head = shape or SHAPES[size]
    return GPTBigCodeConfig(
        vocab_size=vocab_size,
        n_positions=n_positions if size != "tiny" else 512,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        n_inner=4 * n_embd,
        multi_query=True,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
    )


def build_model(config: Any, seed: int = 0) -> Any:
    """A randomly initialised GPTBigCodeForCausalLM, deterministic for ``seed``."""
    import torch
    from transformers import GPTBigCodeForCausalLM

    torch.manual_seed(seed)
    return GPTBigCodeForCausalLM(config)


def synthetic_pairs(n: int, seed: int = 0, min_output_chars: int = 0) -> list[dict[str, str]]:
    """``n`` small instruction/output pairs (Python one-liners); ``min_output_chars`` pads outputs with comments."""
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        name, args, expr = _TASKS[i % len(_TASKS)]
        fn = f"{name.replace(' ', '_')}_{i}"
        output = f"def {fn}(a, b):\n    return {expr}\n"
        while len(output) < min_output_chars:
            output += f"# step {rng.randint(0, 999)}: check {name} of {args}\n"
        rec = {"instruction": f"Write a Python function `{fn}` that computes the {name} of {args}.", "output": output}
        if i % 5 == 4:
            rec["input"] = f"a = {rng.randint(1, 9)}, b = {rng.randint(1, 9)}"
        pairs.append(rec)
    return pairs
