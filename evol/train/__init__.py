"""The bundled trainer: supervised fine-tuning of StarCoder-family models on evolved data (HF Trainer + DeepSpeed).

Launch with ``deepspeed --num_gpus N -m evol.train --config pipelines/train_starcoder.toml`` (``make train``).
Heavy libraries (torch, transformers, deepspeed) are imported only when training starts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["train"]


def train(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run :func:`evol.train.run.train` (imported lazily)."""
    from evol.train.run import train as _train

    return _train(*args, **kwargs)
