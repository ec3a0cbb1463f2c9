"""DeepSpeed: ZeRO-3 really runs on CPU as one rank and matches the plain Trainer; every "auto" resolves.

How DeepSpeed runs here (deepspeed 0.19.8, torch 2.13.0+cpu, no GPU): see DS_ENV in helpers.py - the launcher's
environment variables for one rank (RANK/LOCAL_RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT) plus DS_ACCELERATOR=cpu.
The run is a subprocess of ``python -m evol.train`` so that DeepSpeed's process group and ZeRO-3 hooks never
leak into the pytest process.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from evol.train.config import load_config
from evol.train.run import training_kwargs
from tests.train.helpers import DS_ENV, REPO

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

DS_DIR = REPO / "pipelines" / "deepspeed"
SHIPPED = sorted(p.name for p in DS_DIR.glob("*.json"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _autos(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every "auto" value."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _autos(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")] if node == "auto" else []


def test_shipped_configs() -> None:
    assert SHIPPED == ["zero2.json", "zero2_offload.json", "zero3.json", "zero3_offload.json"]
    for name in SHIPPED:
        cfg = json.loads((DS_DIR / name).read_text())
        zero = cfg["zero_optimization"]
        assert zero["stage"] == (3 if name.startswith("zero3") else 2)
        assert ("offload_optimizer" in zero) == name.endswith("_offload.json")
        assert cfg["bf16"]["enabled"] == cfg["fp16"]["enabled"] == "auto"
        assert cfg["fp16"]["initial_scale_power"] == 16  # not DeepSpeed's historical 2^32
        assert cfg["gradient_clipping"] == "auto"  # = max_grad_norm, 1.0 in the recipe
        assert "scheduler" not in cfg  # HF's cosine schedule with warmup
        # The learning rate lives only in the TOML: no optimizer block, or one whose values are all "auto"
        # (offload configs need DeepSpeed's CPU Adam).
        assert ("optimizer" in cfg) == name.endswith("_offload.json")
        assert all(v == "auto" for v in cfg.get("optimizer", {}).get("params", {}).values())
        if zero["stage"] == 3:
            # explicit: accelerate would turn "auto" into false, and the final save would be empty shards
            assert zero["stage3_gather_16bit_weights_on_model_save"] is True


@pytest.fixture(scope="module")
def tiny_model(tiny_dir: Path) -> Any:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_dir)


@pytest.mark.parametrize("precision", ["bf16", "fp16", "fp32"])
@pytest.mark.parametrize("name", SHIPPED)
def test_every_auto_resolves_through_hf(name: str, precision: str, tiny_model: Any, tmp_path: Path) -> None:
    from deepspeed.runtime.config import DeepSpeedConfig
    from transformers import TrainingArguments
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig, unset_hf_deepspeed_config

    raw = json.loads((DS_DIR / name).read_text())
    assert _autos(raw)
    recipe = load_config(REPO / "pipelines/train_starcoder.toml", overrides={"train.output_dir": str(tmp_path)})
    args = TrainingArguments(**training_kwargs(recipe, 32, precision, None, False))  # 1 GPU: 16 x 32 = 512
    hf = HfTrainerDeepSpeedConfig(copy.deepcopy(raw))
    try:
        hf.trainer_config_process(args)
        hf.trainer_config_finalize(args, tiny_model, num_training_steps=100)
        cfg = hf.config
        assert _autos(cfg) == [], f"{name}: unresolved {_autos(cfg)}"
        assert (cfg["train_micro_batch_size_per_gpu"], cfg["gradient_accumulation_steps"]) == (16, 32)
        assert cfg["train_batch_size"] == 512 and cfg["gradient_clipping"] == 1.0
        assert cfg["bf16"]["enabled"] == (precision == "bf16") and cfg["fp16"]["enabled"] == (precision == "fp16")
        hidden = tiny_model.config.hidden_size
        assert cfg["zero_optimization"]["reduce_bucket_size"] == hidden * hidden
        if "optimizer" in cfg:
            assert cfg["optimizer"]["params"]["lr"] == 2e-5
        DeepSpeedConfig(copy.deepcopy(cfg))  # and DeepSpeed accepts the result
    finally:
        del hf
        unset_hf_deepspeed_config()


def test_zero3_on_cpu_matches_the_plain_trainer(plain_run: dict[str, Any], tmp_path: Path) -> None:
    """Same tiny run under ZeRO-3 (shipped zero3.json): losses within 1e-3, full weights saved, [PAD] row included.

    Equal losses also show the ZeRO-3 path initialised the [PAD] embedding row like the plain path (the resize
    gathers the sharded matrix): the new rows enter every softmax through the tied LM head.
    """
    from safetensors.torch import load_file

    out = tmp_path / "zero3"
    env = {**os.environ, **DS_ENV, "MASTER_PORT": str(_free_port()), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "evol.train", "--config", plain_run["config_path"],
           "--deepspeed", str(DS_DIR / "zero3.json"), "--out", str(out)]
    res = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-4000:]
    ds = json.loads((out / "train_summary.json").read_text())
    assert ds["zero_stage"] == 3 and ds["params_partitioned"] and not plain_run["params_partitioned"]
    assert ds["global_step"] == plain_run["global_step"] == 8
    for (s1, a), (s2, b) in zip(plain_run["losses"], ds["losses"], strict=True):
        assert s1 == s2 and abs(a - b) < 1e-3, (s1, a, b)

    plain_w = load_file(str(Path(plain_run["output_dir"]) / "model.safetensors"))
    ds_w = load_file(str(out / "model.safetensors"))
    assert plain_w.keys() == ds_w.keys()
    for k, v in plain_w.items():
        assert ds_w[k].shape == v.shape and ds_w[k].numel() > 0, k
        torch.testing.assert_close(ds_w[k], v, atol=1e-4, rtol=1e-3, msg=k)
    assert ds_w["transformer.wte.weight"].shape[0] == ds["embedding_rows"][1]
