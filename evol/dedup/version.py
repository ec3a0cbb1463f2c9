"""What a saved or shared dedup index must agree on with the config that opens it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evol.dedup.minhash import SCHEME

if TYPE_CHECKING:
    from evol.dedup.config import DedupConfig

TOKENIZER = "words-v1"  # bump when tokens.py changes what a word or its hash is


def version(cfg: DedupConfig) -> dict[str, object]:
    """The settings that decide every stored signature and shingle: seed, n-gram, permutations, scheme, fields."""
    return {
        "seed": cfg.seed,
        "ngram": cfg.ngram,
        "num_perm": cfg.num_perm,
        "scheme": f"{SCHEME}/{TOKENIZER}",
        "fields": list(cfg.fields),
    }


def differences(have: dict, want: dict) -> dict[str, tuple[object, object]]:
    """{key: (stored, wanted)} for every key of ``want`` whose stored value differs."""
    return {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}
