"""Helpers shared by the trainer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MAX_LENGTH = 128

# One rank of DeepSpeed on CPU, without the launcher. With the installed deepspeed these are all it needs:
# DS_ACCELERATOR=cpu picks the CPU accelerator (it would also be auto-detected, with a warning), the four
# torch.distributed variables let deepspeed.init_distributed set up a gloo group of one, and evol.train marks the
# shm all-reduce op unavailable for a single CPU rank so no C++ extension is compiled; the shipped configs have
# no DeepSpeed optimizer block, so the optimizer is torch's AdamW (no cpu_adam build either).
DS_ENV = {
    "DS_ACCELERATOR": "cpu",
    "RANK": "0",
    "LOCAL_RANK": "0",
    "WORLD_SIZE": "1",
    "MASTER_ADDR": "127.0.0.1",
}


def write_toml(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """A minimal TOML writer for flat sections (enough for trainer configs)."""
    lines = []
    for name, body in sections.items():
        lines.append(f"[{name}]")
        for k, v in body.items():
            lines.append(f"{k} = {json.dumps(v)}")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def tiny_sections(model_dir: Path, data: Path, out: Path, **train: Any) -> dict[str, dict[str, Any]]:
    """A short CPU run of the tiny model: 8 steps, global batch 8 (4 x 2 accumulation), no DeepSpeed."""
    body: dict[str, Any] = {
        "output_dir": str(out),
        "max_steps": 8,
        "learning_rate": 1e-3,
        "warmup_steps": 2,
        "global_batch_size": 8,
        "per_device_train_batch_size": 4,
        "gradient_checkpointing": True,
        "save_strategy": "no",
        "logging_steps": 1,
        "seed": 1,
    }
    body.update(train)
    return {
        "model": {"name": str(model_dir)},
        "data": {"path": str(data), "max_length": MAX_LENGTH},
        "train": body,
        "deepspeed": {"config": ""},
    }
