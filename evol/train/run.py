"""``train()``: supervised fine-tuning on the HF Trainer, with or without DeepSpeed."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from statistics import mean
from typing import Any

from evol.errors import ConfigError, DataError
from evol.train.config import (
    TrainConfig,
    find_path,
    load_deepspeed_config,
    resolve_batch,
    world_size_from_env,
)
from evol.train.data import Truncation, ensure_pad_token, load_records, pack_examples, tokenize_records

log = logging.getLogger("evol.train")


def resolve_precision(requested: str) -> str:
    """``auto`` -> bf16 on GPUs that have it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    cuda = torch.cuda.is_available()
    if requested == "auto":
        if not cuda:
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if requested == "bf16" and cuda and not torch.cuda.is_bf16_supported():
        raise ConfigError(f"precision = 'bf16' but {torch.cuda.get_device_name()} has no bf16; use 'fp16' or 'auto'")
    return requested


def prepare_distributed_env(uses_deepspeed: bool) -> None:
    """Defaults for a plain ``python -m evol.train`` with DeepSpeed (one rank) and CPU-only DeepSpeed runs.

    The deepspeed launcher sets RANK/WORLD_SIZE/MASTER_*; without it we run as rank 0 of 1. On a machine without
    CUDA, a single rank needs no shared-memory all-reduce, so DeepSpeed's shm comm op (a C++ extension it would
    otherwise JIT-compile at init) is marked unavailable; it falls back to gloo.
    """
    if not uses_deepspeed:
        return
    if "RANK" not in os.environ:
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29500")
    import torch

    if not torch.cuda.is_available() and world_size_from_env() == 1:
        import deepspeed.ops

        deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False


def training_kwargs(
    cfg: TrainConfig,
    accumulation: int,
    precision: str,
    deepspeed: dict[str, Any] | None,
    has_eval: bool,
) -> dict[str, Any]:
    """Keyword arguments for ``transformers.TrainingArguments`` (transformers 5 names)."""
    import torch

    t = cfg.train
    return {
        "output_dir": t.output_dir,
        "num_train_epochs": t.num_train_epochs,
        "max_steps": t.max_steps,
        "learning_rate": t.learning_rate,
        "lr_scheduler_type": t.lr_scheduler_type,
        "warmup_steps": t.warmup_steps,
        "weight_decay": t.weight_decay,
        "max_grad_norm": t.max_grad_norm,
        "per_device_train_batch_size": t.per_device_train_batch_size,
        "per_device_eval_batch_size": t.per_device_eval_batch_size or t.per_device_train_batch_size,
        "gradient_accumulation_steps": accumulation,
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "activation_checkpointing": t.gradient_checkpointing,
        "logging_steps": t.logging_steps,
        "save_strategy": t.save_strategy,
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": t.eval_steps,
        "seed": t.seed,
        "report_to": t.report_to,
        "deepspeed": deepspeed,
        "use_cpu": deepspeed is None and not torch.cuda.is_available(),
        "remove_unused_columns": False,
        "train_sampling_strategy": "group_by_length" if cfg.data.group_by_length else "random",
        "include_num_input_tokens_seen": "all",
        "dataloader_num_workers": t.dataloader_num_workers,
        "ddp_find_unused_parameters": False,
    }


def resize_for_tokenizer(model: Any, tokenizer: Any, pad_to_multiple_of: int) -> tuple[int, int] | None:
    """Grow the embeddings (mean-initialised new rows) when the tokenizer outgrew them; (old, new) rows or None.

    ``resize_token_embeddings`` gathers the partitioned weights itself under ZeRO-3, so the new rows are really
    written (the original script assigned into empty ZeRO-3 shards, which did nothing).
    """
    old = model.get_input_embeddings().num_embeddings
    if len(tokenizer) <= old:
        return None
    model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=pad_to_multiple_of, mean_resizing=True)
    return old, model.get_input_embeddings().num_embeddings


def resolve_resume(resume: str | bool | None, output_dir: str) -> str | None:
    """``True``/"latest" -> the newest checkpoint-* in output_dir; a path -> that path; None/False -> fresh start."""
    from transformers.trainer_utils import get_last_checkpoint

    if not resume:
        if Path(output_dir).is_dir() and get_last_checkpoint(output_dir):
            log.warning("%s holds checkpoints; starting fresh (pass --resume to continue)", output_dir)
        return None
    if resume is True or resume == "latest":
        last = get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None
        if last is None:
            raise ConfigError(f"--resume: no checkpoint-* directory in {output_dir}")
        return last
    if not Path(str(resume)).is_dir():
        raise ConfigError(f"--resume {resume}: no such checkpoint directory")
    return str(resume)


def check_saved_weights(output_dir: str | Path, model: Any) -> int:
    """Every saved tensor is non-empty and has its parameter's full shape (catches a ZeRO-3 save of shards)."""
    from safetensors import safe_open

    expected = {n: tuple(getattr(p, "ds_shape", p.shape)) for n, p in model.named_parameters()}
    files = sorted(Path(output_dir).glob("*.safetensors"))
    if not files:
        raise RuntimeError(f"{output_dir}: no *.safetensors written")
    count = 0
    for f in files:
        with safe_open(str(f), framework="pt") as st:
            for name in st.keys():  # noqa: SIM118 - safe_open is not a mapping
                shape = tuple(st.get_slice(name).get_shape())
                want = expected.get(name)
                if 0 in shape or (want is not None and shape != want):
                    raise RuntimeError(f"{f}: tensor {name} saved with shape {shape}, expected {want}")
                count += 1
    return count


def _features_for(
    records: list[dict[str, str]], source: Path, tokenizer: Any, max_length: int, truncation: Truncation = "cut"
) -> tuple[list[dict[str, Any]], Any]:
    """Tokenize one data file's records, failing when nothing fits."""
    examples, stats = tokenize_records(records, tokenizer, max_length, truncation)
    if not examples:
        raise DataError(
            f"{source}: no example fits in max_length {max_length} "
            f"({stats.dropped_prompt_too_long} prompts too long, {stats.dropped_truncated} dropped by truncation)"
        )
    return examples, stats


def train(
    cfg: TrainConfig, *, config_path: str | Path | None = None, resume: str | bool | None = None
) -> dict[str, Any]:
    """Fine-tune ``cfg.model.name`` on ``cfg.data.path``; returns (and on rank 0 writes) a summary dict."""
    world = world_size_from_env()
    t = cfg.train
    accumulation = resolve_batch(t.global_batch_size, t.per_device_train_batch_size, t.gradient_accumulation_steps,
                                 world)
    ds_path = find_path(cfg.deepspeed.config, config_path) if cfg.deepspeed.config else None
    ds_config = load_deepspeed_config(ds_path) if ds_path else None
    data_path = find_path(cfg.data.path, config_path)
    records = load_records(data_path)  # bad data fails here, before any model is loaded
    eval_path = find_path(cfg.data.eval_path, config_path) if cfg.data.eval_path else None
    eval_records = load_records(eval_path) if eval_path else None

    prepare_distributed_env(ds_config is not None)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from evol.train.collator import SFTCollator
    from evol.train.throughput import ThroughputCallback

    precision = resolve_precision(t.precision)
    # TrainingArguments before the model: with ZeRO-3 its DeepSpeed config makes from_pretrained partition the
    # weights as they load (zero.Init) and makes resize_token_embeddings gather them.
    args = TrainingArguments(**training_kwargs(cfg, accumulation, precision, ds_config, eval_path is not None))
    log.info(
        "global batch %d = %d per device x %d accumulation x %d GPU(s); precision %s; deepspeed %s",
        t.per_device_train_batch_size * accumulation * world, t.per_device_train_batch_size, accumulation, world,
        precision, ds_path or "off",
    )

    m = cfg.model
    tokenizer = AutoTokenizer.from_pretrained(m.name, revision=m.revision, trust_remote_code=m.trust_remote_code)
    pad_added = ensure_pad_token(tokenizer)
    load_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision) if ds_config else torch.float32
    model = AutoModelForCausalLM.from_pretrained(
        m.name,
        revision=m.revision,
        trust_remote_code=m.trust_remote_code,
        dtype=load_dtype or torch.float32,
        attn_implementation=m.attn_implementation,
    )
    resized = resize_for_tokenizer(model, tokenizer, m.pad_to_multiple_of)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    if model.generation_config is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    # No KV cache while training: it is useless there, and with a cache transformers skips the block-diagonal
    # mask that packed sequences rely on. Restored before saving, for generation.
    model.config.use_cache = False

    examples, stats = _features_for(records, data_path, tokenizer, cfg.data.max_length, cfg.data.truncation)
    log.info("data %s: %s", data_path, stats.as_dict())
    eval_examples = None
    if eval_path and eval_records:
        eval_examples = _features_for(eval_records, eval_path, tokenizer, cfg.data.max_length, cfg.data.truncation)[0]
    features = pack_examples(examples, cfg.data.max_length) if cfg.data.packing else examples
    if eval_examples is not None and cfg.data.packing:
        eval_examples = pack_examples(eval_examples, cfg.data.max_length)
    flatten = cfg.data.packing and m.attn_implementation.startswith("flash")
    collator = SFTCollator(
        pad_token_id=tokenizer.pad_token_id,
        pad_to_multiple_of=8 if torch.cuda.is_available() and not cfg.data.packing else None,
        flatten=flatten,
    )
    throughput = ThroughputCallback(model, mean(len(f["input_ids"]) for f in features), t.output_dir)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=features,
        eval_dataset=eval_examples,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[throughput],
    )
    checkpoint = resolve_resume(resume, t.output_dir)
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    result = trainer.train(resume_from_checkpoint=checkpoint)
    model.config.use_cache = True
    # Under ZeRO-3 this gathers the full 16-bit weights (stage3_gather_16bit_weights_on_model_save in the JSON).
    trainer.save_model(t.output_dir)
    trainer.save_state()

    summary = {
        "output_dir": t.output_dir,
        "model": m.name,
        "data": str(data_path),
        "deepspeed": str(ds_path) if ds_path else None,
        "zero_stage": (ds_config or {}).get("zero_optimization", {}).get("stage"),
        "params_partitioned": any(hasattr(p, "ds_id") for p in model.parameters()),  # ZeRO-3 really sharded
        "precision": precision,
        "world_size": world,
        "per_device_train_batch_size": t.per_device_train_batch_size,
        "gradient_accumulation_steps": accumulation,
        "global_batch_size": t.per_device_train_batch_size * accumulation * world,
        "truncation": cfg.data.truncation,
        "data_stats": stats.as_dict(),  # truncated / dropped_truncated count what the truncation did
        "sequences": len(features),
        "pad_token_added": pad_added,
        "embedding_rows": list(resized) if resized else None,
        "resumed_from": checkpoint,
        "metrics": result.metrics,
        "global_step": trainer.state.global_step,
        "losses": [(h["step"], h["loss"]) for h in trainer.state.log_history if "loss" in h],
        "throughput": throughput.summary,
    }
    if trainer.is_world_process_zero():
        summary["saved_tensors"] = check_saved_weights(t.output_dir, model)
        Path(t.output_dir, "train_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
