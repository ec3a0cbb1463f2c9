"""A saved random tiny model and its tokenizer, for the trainer and evaluation tests (never the hub)."""

from __future__ import annotations

from evol.train.tiny import build_model, build_tiny_tokenizer, model_config


def save_tiny_checkpoint(out_dir: str, size: str = "tiny", seed: int = 0, vocab_size: int | None = None) -> str:
    """Build the tokenizer and a random model and save both under ``out_dir`` (a local model path)."""
    tok = build_tiny_tokenizer()
    cfg = model_config(vocab_size or len(tok), size=size, eos_token_id=tok.eos_token_id)
    model = build_model(cfg, seed=seed)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir
