"""The trainer's TOML config: typed sections, unknown keys rejected by name, and the global-batch arithmetic.

This module is import-light (no torch) so a bad config fails in a fraction of a second.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evol.config_file import apply_overrides, read_toml
from evol.errors import ConfigError
from evol.io import parse_json


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSection(_Section):
    """What to fine-tune."""

    name: str = Field(min_length=1)
    revision: str | None = None
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2", "flash_attention_3"] = "sdpa"
    trust_remote_code: bool = False
    # When [PAD] has to be added, the embedding matrix grows to a multiple of this (tensor-core friendly).
    pad_to_multiple_of: int = Field(64, ge=1)


class DataSection(_Section):
    """Where the exported pairs are and how they become sequences."""

    path: str = Field(min_length=1)
    eval_path: str = ""
    max_length: int = Field(2048, ge=8)
    # A response that does not fit in max_length: "cut" keeps it cut there with no EOS, "drop" drops the example.
    truncation: Literal["cut", "drop"] = "cut"
    packing: bool = False
    group_by_length: bool = False


class TrainSection(_Section):
    """Optimisation recipe; names follow transformers 5 ``TrainingArguments`` where they exist."""

    output_dir: str = Field(min_length=1)
    num_train_epochs: float = Field(3.0, gt=0)
    max_steps: int = -1
    learning_rate: float = Field(2e-5, gt=0)
    lr_scheduler_type: str = "cosine"
    warmup_steps: int = Field(30, ge=0)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    # global = per_device_train_batch_size x gradient_accumulation_steps x world size (GPUs across all nodes)
    global_batch_size: int | None = Field(512, ge=1)
    per_device_train_batch_size: int = Field(16, ge=1)
    gradient_accumulation_steps: int | Literal["auto"] = "auto"
    per_device_eval_batch_size: int | None = Field(None, ge=1)
    gradient_checkpointing: bool = True
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    logging_steps: int = Field(1, ge=1)
    save_strategy: Literal["steps", "epoch", "no"] = "steps"
    save_steps: int = Field(50, ge=1)
    save_total_limit: int | None = Field(2, ge=1)
    eval_steps: int = Field(50, ge=1)
    seed: int = 42
    report_to: str = "none"
    dataloader_num_workers: int = Field(0, ge=0)


class DeepSpeedSection(_Section):
    """Which DeepSpeed JSON to use; an empty string trains with the plain HF Trainer (no DeepSpeed)."""

    config: str = "pipelines/deepspeed/zero3.json"


class TrainConfig(_Section):
    """The whole ``pipelines/train_*.toml`` file."""

    model: ModelSection
    data: DataSection
    train: TrainSection
    deepspeed: DeepSpeedSection = Field(default_factory=DeepSpeedSection)


def _describe(loc: tuple[Any, ...]) -> str:
    """``('train', 'foo')`` -> ``[train] foo``."""
    parts = [str(p) for p in loc]
    if len(parts) == 1:
        return parts[0]
    return f"[{parts[0]}] {'.'.join(parts[1:])}"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at the level of ``loc`` (for error hints)."""
    model: type[BaseModel] = TrainConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return sorted(model.model_fields)


def _format_errors(source: str, exc: ValidationError) -> str:
    """One line per problem, each naming the file and the key."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            known = ", ".join(_known_keys(loc))
            lines.append(f"{source}: unknown key {_describe(loc)!r} (known here: {known})")
        elif err["type"] == "missing":
            lines.append(f"{source}: missing required key {_describe(loc)!r}")
        else:
            lines.append(f"{source}: {_describe(loc)}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def parse_override(item: str) -> tuple[list[str], Any]:
    """``train.learning_rate=1e-5`` -> (['train', 'learning_rate'], 1e-05); values are TOML, else strings."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE")
    key, raw = item.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    if len(path) != 2:
        raise ConfigError(f"--set {item!r}: the key must be SECTION.KEY, e.g. train.learning_rate")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return path, value


def load_config(
    path: str | Path | None,
    *,
    overrides: dict[str, Any] | None = None,
    sets: list[str] | None = None,
) -> TrainConfig:
    """Read a TOML config, apply ``overrides`` ({"model.name": ...}) and ``--set`` items, then validate."""
    source = str(path) if path else "<command line>"
    raw = read_toml(path) if path else {}
    apply_overrides(raw, overrides or {}, source)
    apply_overrides(raw, {".".join(keys): value for keys, value in map(parse_override, sets or [])}, source)
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None


def resolve_batch(
    global_batch_size: int | None,
    per_device: int,
    accumulation: int | Literal["auto"],
    world_size: int,
) -> int:
    """Gradient-accumulation steps so that per_device x accumulation x world_size == global_batch_size.

    Raises a ConfigError that spells out the arithmetic (and what would work) when the numbers do not multiply out.
    """
    per_step = per_device * world_size
    if accumulation == "auto":
        if global_batch_size is None:
            return 1
        if global_batch_size % per_step:
            fits = [d for d in range(1, global_batch_size + 1) if global_batch_size % (d * world_size) == 0]
            hint = ", ".join(str(d) for d in fits if d <= 64) or "none"
            raise ConfigError(
                f"global_batch_size {global_batch_size} does not divide into per_device_train_batch_size "
                f"{per_device} x {world_size} GPU(s) = {per_step} sequences per micro-step, so no whole number of "
                f"gradient-accumulation steps reaches it ({global_batch_size} / {per_step} = "
                f"{global_batch_size / per_step:.4g}). With {world_size} GPU(s), per-device sizes that divide: "
                f"{hint}; or change global_batch_size."
            )
        return global_batch_size // per_step
    if global_batch_size is not None and per_step * accumulation != global_batch_size:
        raise ConfigError(
            f"per_device_train_batch_size {per_device} x gradient_accumulation_steps {accumulation} x "
            f"{world_size} GPU(s) = {per_step * accumulation}, not global_batch_size {global_batch_size}. "
            'Set gradient_accumulation_steps = "auto" to derive it, or make the product match.'
        )
    return accumulation


def world_size_from_env() -> int:
    """Ranks in the job, as set by the deepspeed/torchrun launchers (1 when launched plainly)."""
    return max(1, int(os.environ.get("WORLD_SIZE", "1")))


def find_path(value: str, config_path: str | Path | None) -> Path:
    """A path as given (relative to the working directory), else relative to the config file's directory or its
    parent (so ``pipelines/deepspeed/zero3.json`` in ``pipelines/train_starcoder.toml`` works from anywhere)."""
    p = Path(value).expanduser()
    if p.is_absolute() or p.exists() or config_path is None:
        return p
    base = Path(config_path).resolve().parent
    for alt in (base / p, base.parent / p):
        if alt.exists():
            return alt
    return p


def load_deepspeed_config(path: Path) -> dict[str, Any]:
    """Read a DeepSpeed JSON config as a dict (HF fills its "auto" values later)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such DeepSpeed config")
    cfg = parse_json(path.read_text(encoding="utf-8"), path, error=ConfigError)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return cfg
