"""An evaluation's output folder (a run's is `evol.rundir`): where it goes, what it was run with, and whether
--resume may continue it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from evol.errors import ConfigError
from evol.io import atomic_write_json, read_jsonl

EVAL_ROOT = Path("data/eval")
# Settings that change the samples or the scores: a resumed run must match them.
BINDING = (
    "model",
    "backend",
    "api",
    "samples",
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "problems",
    "samples_file",
    "limit",
    "timeout_s",
    "memory_mb",
    "prompt_style",
    "postprocess",
)
# Binding settings added later: a run written before them used these values.
BINDING_DEFAULTS = {"prompt_style": "evol", "postprocess": "evol"}


def slug(model: str) -> str:
    """A folder-safe name for a model id or checkpoint path."""
    name = Path(model.rstrip("/")).name or model
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "model"


def resolve_out(out: Path | None, model: str, resume: bool) -> Path:
    """--out, else data/eval/<model>-<time>/; with --resume and no --out, the model's latest run."""
    if out is not None:
        return out
    if resume:
        runs = sorted(p for p in EVAL_ROOT.glob(f"{slug(model)}-*") if (p / "config.json").exists())
        if not runs:
            raise ConfigError(f"--resume: no earlier run of {model} under {EVAL_ROOT}/; pass --out DIR")
        return runs[-1]
    return EVAL_ROOT / f"{slug(model)}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare(out: Path, settings: dict[str, Any], resume: bool) -> None:
    """Create the folder and write config.json; refuse to mix runs or to resume different settings."""
    cfg_path = out / "config.json"
    if cfg_path.exists():
        if not resume:
            raise ConfigError(f"{out} already holds an evaluation: add --resume to continue it, or pick --out")
        old = json.loads(cfg_path.read_text(encoding="utf-8"))
        diff = [k for k in BINDING if old.get(k, BINDING_DEFAULTS.get(k)) != settings.get(k)]
        if diff:
            pairs = ", ".join(f"{k}: {old.get(k)!r} -> {settings.get(k)!r}" for k in diff)
            raise ConfigError(f"--resume with different settings ({pairs}); use a new --out")
        return
    if resume and out.exists() and any(out.iterdir()):
        raise ConfigError(f"--resume: {out} has no config.json, so it is not an evaluation folder")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(cfg_path, settings)


def done_keys(path: Path) -> set[tuple[str, int]]:
    """(task_id, sample_index) pairs already in a samples/results journal (a torn last line is ignored)."""
    if not path.exists():
        return set()
    return {(r["task_id"], int(r["sample_index"])) for r in read_jsonl(path, tolerate_partial_tail=True)}
