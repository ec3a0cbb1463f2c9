"""Tokens/s, model FLOPs utilisation (MFU) and peak memory, measured by a Trainer callback.

MFU follows the PaLM convention: model FLOPs per token = 6 x (parameters that do matmuls, the LM head included,
lookup embeddings excluded) + 12 x layers x hidden x sequence length (attention), divided by the accelerator's
dense bf16/fp16 peak. Recomputation from gradient checkpointing is not counted (that would be HFU).
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

# Dense (no sparsity) bf16/fp16 tensor-core peaks, FLOP/s, matched against torch.cuda.get_device_name().
_PEAKS = [
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),
    ("H200", 989e12),
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A800", 312e12),
    ("L40S", 362e12),
    ("L4", 121e12),
    ("A10G", 70e12),
    ("A10", 125e12),
    ("V100", 125e12),
]


def peak_flops(device_name: str | None = None) -> float | None:
    """The accelerator's dense 16-bit peak (``EVOL_PEAK_TFLOPS`` overrides); None when unknown (e.g. CPU)."""
    if os.environ.get("EVOL_PEAK_TFLOPS"):
        return float(os.environ["EVOL_PEAK_TFLOPS"]) * 1e12
    if device_name is None:
        if not torch.cuda.is_available():
            return None
        device_name = torch.cuda.get_device_name()
    for key, flops in _PEAKS:
        if key.lower() in device_name.lower():
            return flops
    return None


def _numel(p: torch.Tensor) -> int:
    """Parameter size, also under ZeRO-3 where the local tensor is an empty shard."""
    return int(getattr(p, "ds_numel", p.numel()))


def matmul_params(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all, minus lookup embeddings, plus a tied LM head once."""
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += _numel(p)
    lookups = {id(m.weight): _numel(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    total -= sum(lookups.values())
    out = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if out is not None and id(out.weight) in lookups:
        total += lookups[id(out.weight)]
    return total


def flops_per_token(model: torch.nn.Module, seq_len: float) -> float:
    """Training FLOPs per token (forward + backward) for ``model`` at sequence length ``seq_len``."""
    cfg = model.config
    layers = getattr(cfg, "num_hidden_layers", 0) or 0
    hidden = getattr(cfg, "hidden_size", 0) or 0
    return 6.0 * matmul_params(model) + 12.0 * layers * hidden * seq_len


class ThroughputCallback(TrainerCallback):
    """Wall-clock throughput between optimizer-step ends, after ``skip`` warm-up steps; rank 0 writes
    ``throughput.json``.

    Token counts come from the Trainer's ``num_input_tokens_seen`` (summed over all ranks), so tokens/s is for
    the whole job and MFU is per device.
    """

    def __init__(self, model: torch.nn.Module, seq_len: float, output_dir: str | Path, skip: int = 2) -> None:
        self.flops_per_token = flops_per_token(model, seq_len)
        self.matmul_params = matmul_params(model)
        self.seq_len = seq_len
        self.output_dir = Path(output_dir)
        self.skip = skip
        self.summary: dict[str, Any] = {}
        self._steps = 0
        self._mark: tuple[float, int] | None = None
        self._elapsed = 0.0
        self._tokens = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        now = (time.perf_counter(), state.num_input_tokens_seen)
        self._steps += 1
        if self._steps > self.skip and self._mark is not None:
            self._elapsed += now[0] - self._mark[0]
            self._tokens += now[1] - self._mark[1]
        self._mark = now

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        world = max(1, args.world_size)
        tps = self._tokens / self._elapsed if self._elapsed > 0 else 0.0
        peak = peak_flops()
        cuda = torch.cuda.is_available()
        self.summary = {
            "device": torch.cuda.get_device_name() if cuda else "cpu",
            "world_size": world,
            "steps_this_run": self._steps,
            "timed_steps": max(0, self._steps - max(self.skip, 1)),
            "tokens_per_s": tps,
            "tokens_per_s_per_device": tps / world,
            "seq_len": self.seq_len,
            "matmul_params": self.matmul_params,
            "flops_per_token": self.flops_per_token,
            "peak_flops_per_device": peak,
            "mfu": (tps / world * self.flops_per_token / peak) if peak and tps else None,
            "peak_gpu_mem_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
            "peak_gpu_reserved_gib": torch.cuda.max_memory_reserved() / 2**30 if cuda else None,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        }
        if state.is_world_process_zero:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            (self.output_dir / "throughput.json").write_text(json.dumps(self.summary, indent=2) + "\n")
