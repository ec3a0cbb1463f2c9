"""Helper for scripts/gpu_check.sh: ``prepare`` builds the local model, data and config; ``report`` reloads
the trained checkpoint, generates, and prints/writes the figures (tokens/s, MFU, peak memory)."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

MFU_TARGET = 0.35
REPO = Path(__file__).resolve().parent.parent


def _settings(tiny: bool) -> dict[str, Any]:
    """Run size: ~300M model at 2048 tokens on a GPU, a tiny model at 128 tokens on CPU."""
    if tiny:
        return {"size": "tiny", "vocab": None, "max_length": 128, "micro": 2, "accum": 2, "steps": 6,
                "precision": "fp32", "checkpointing": True, "examples": 24}
    micro = int(os.environ.get("GPU_CHECK_BATCH", "16"))
    steps = int(os.environ.get("GPU_CHECK_STEPS", "30"))
    shape = os.environ.get("GPU_CHECK_SHAPE")  # "n_embd,n_layer,n_head", e.g. "1024,24,16"
    return {"size": "gpu-check", "vocab": 49152, "max_length": 2048, "micro": micro, "accum": 2, "steps": steps,
            "precision": "bf16", "checkpointing": False, "examples": micro * 2 * steps,
            "shape": tuple(int(x) for x in shape.split(",")) if shape else None}


def prepare(work: Path, tiny: bool) -> None:
    """Write work/model (tokenizer + random GPTBigCode), work/train.json and work/train.toml."""
    import torch

    from evol.train.tiny import build_model, build_tiny_tokenizer, model_config, synthetic_pairs

    s = _settings(tiny)
    if not tiny and not torch.cuda.is_available():
        sys.exit(f"gpu-check: no CUDA device visible to torch {torch.__version__}; use GPU_CHECK_TINY=1 on CPU")
    work.mkdir(parents=True, exist_ok=True)
    tok = build_tiny_tokenizer()
    cfg = model_config(s["vocab"] or len(tok), size=s["size"], eos_token_id=tok.eos_token_id,
                       n_positions=s["max_length"], shape=s.get("shape"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = build_model(cfg, seed=0)
    if not tiny:
        model = model.to(torch.bfloat16)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(work / "model")
    tok.save_pretrained(work / "model")
    del model
    # Every response is longer than max_length, so every sequence is exactly max_length tokens (no padding)
    # and the truncation path (EOS kept) is exercised.
    pairs = synthetic_pairs(s["examples"], seed=1, min_output_chars=4 * s["max_length"])
    (work / "train.json").write_text(json.dumps(pairs))
    toml = f"""# written by scripts/gpu_check.py
[model]
name = "{work / 'model'}"
attn_implementation = "sdpa"

[data]
path = "{work / 'train.json'}"
max_length = {s['max_length']}

[train]
output_dir = "{work / 'out'}"
max_steps = {s['steps']}
learning_rate = 3e-4
lr_scheduler_type = "cosine"
warmup_steps = 5
global_batch_size = {s['micro'] * s['accum']}
per_device_train_batch_size = {s['micro']}
gradient_accumulation_steps = {s['accum']}
gradient_checkpointing = {str(s['checkpointing']).lower()}
precision = "{s['precision']}"
save_strategy = "no"
logging_steps = {1 if tiny else 5}
seed = 0

[deepspeed]
config = "{REPO / 'pipelines/deepspeed/zero3.json'}"
"""
    (work / "train.toml").write_text(toml)
    print(f"gpu-check: built {s['size']} GPTBigCode ({cfg.n_embd} wide, {cfg.n_layer} layers, {cfg.n_head} heads), "
          f"{n / 1e6:.1f}M parameters, on {device}; "
          f"{len(pairs)} examples of {s['max_length']} tokens")


def report(work: Path, tiny: bool) -> int:
    """Reload work/out, generate greedily, print the figures and write work/report.json."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evol.template import build_prompt

    out = work / "out"
    summary = json.loads((out / "train_summary.json").read_text())
    thr = summary.get("throughput") or {}
    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda and not tiny else torch.float32
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=dtype).to("cuda" if cuda else "cpu").eval()
    n_params = sum(p.numel() for p in model.parameters())
    prompt = build_prompt("Write a Python function `add_0` that computes the add of two numbers.")
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.no_grad():
        gen = model.generate(**ids, max_new_tokens=24, do_sample=False, pad_token_id=tok.pad_token_id)
    new_tokens = gen.shape[1] - ids["input_ids"].shape[1]
    text = tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    losses = [loss for _, loss in summary["losses"]]
    mfu = thr.get("mfu")
    rep = {
        "device": thr.get("device"),
        "model_params": n_params,
        "seq_len": thr.get("seq_len"),
        "global_batch_size": summary["global_batch_size"],
        "steps": summary["global_step"],
        "tokens_per_s": thr.get("tokens_per_s"),
        "mfu": mfu,
        "mfu_target": MFU_TARGET,
        "mfu_target_met": (mfu >= MFU_TARGET) if mfu is not None else None,
        "peak_gpu_mem_gib": thr.get("peak_gpu_mem_gib"),
        "peak_gpu_reserved_gib": thr.get("peak_gpu_reserved_gib"),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "zero_stage": summary.get("zero_stage"),
        "params_partitioned": summary.get("params_partitioned"),
        "saved_tensors": summary.get("saved_tensors"),
        "reload_ok": True,
        "generated_tokens": int(new_tokens),
        "generation": text,
        "torch": torch.__version__,
    }
    (work / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    dest = os.environ.get("GPU_CHECK_REPORT_DIR") or os.environ.get("OUT")
    if dest and Path(dest).is_dir():
        shutil.copy(work / "report.json", Path(dest) / "report.json")

    def fmt(v: Any, spec: str) -> str:
        return "n/a" if v is None else format(v, spec)

    print("\n=== gpu-check ===")
    print(f"device            {rep['device']}  (torch {rep['torch']})")
    print(f"model             GPTBigCode {n_params / 1e6:.1f}M params, seq {rep['seq_len']}, "
          f"global batch {rep['global_batch_size']}, {rep['steps']} steps, ZeRO-3")
    print(f"tokens/s          {fmt(rep['tokens_per_s'], ',.0f')}")
    print(f"MFU               {fmt(mfu, '.1%')} (target {MFU_TARGET:.0%}: "
          f"{'met' if rep['mfu_target_met'] else 'NOT met' if mfu is not None else 'n/a'})")
    print(f"peak GPU memory   {fmt(rep['peak_gpu_mem_gib'], '.1f')} GiB allocated, "
          f"{fmt(rep['peak_gpu_reserved_gib'], '.1f')} GiB reserved")
    print(f"loss              {fmt(rep['first_loss'], '.3f')} -> {fmt(rep['last_loss'], '.3f')}")
    print(f"reload + generate {new_tokens} tokens: {text[:80]!r}")
    ok = bool(losses) and all(math.isfinite(x) for x in losses) and new_tokens > 0
    if not ok:
        print("gpu-check: FAILED (non-finite loss or no generation)")
        return 1
    if os.environ.get("GPU_CHECK_STRICT") == "1" and not rep["mfu_target_met"]:
        print("gpu-check: MFU under target (GPU_CHECK_STRICT=1)")
        return 1
    return 0


def main() -> int:
    """``prepare`` or ``report``."""
    p = argparse.ArgumentParser()
    p.add_argument("step", choices=["prepare", "report"])
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--tiny", action="store_true")
    a = p.parse_args()
    if a.step == "prepare":
        prepare(a.work, a.tiny)
        return 0
    return report(a.work, a.tiny)


if __name__ == "__main__":
    sys.exit(main())
