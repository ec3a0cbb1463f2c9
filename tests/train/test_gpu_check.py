"""scripts/gpu_check.sh end to end in its CPU mode (GPU_CHECK_TINY=1): prepare, ZeRO-3 train, reload, generate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.train.helpers import REPO


def test_gpu_check_script_tiny_mode(tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    env = {
        **os.environ,
        "GPU_CHECK_TINY": "1",
        "GPU_CHECK_DIR": str(tmp_path / "work"),
        "GPU_CHECK_REPORT_DIR": str(report_dir),
        "PY": sys.executable,
    }
    env.pop("OUT", None)
    res = subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "=== gpu-check ===" in res.stdout and "tokens/s" in res.stdout and "MFU" in res.stdout
    rep = json.loads((report_dir / "report.json").read_text())
    assert rep["reload_ok"] and rep["generated_tokens"] > 0 and rep["tokens_per_s"] > 0
    assert rep["seq_len"] == 128 and rep["steps"] == 6 and rep["saved_tensors"] > 0
    summary = json.loads((tmp_path / "work/out/train_summary.json").read_text())
    assert summary["zero_stage"] == 3 and summary["params_partitioned"]
    assert rep["zero_stage"] == 3 and rep["params_partitioned"]
    assert summary["data_stats"]["truncated"] == summary["data_stats"]["kept"]  # every example cut to max_length


def test_gpu_check_model_is_about_300m_starcoder_shaped() -> None:
    """The GPU check's model: ~300M parameters, StarCoder's multi-query attention, head dim 128."""
    import torch
    from transformers import GPTBigCodeForCausalLM

    from evol.train.tiny import model_config

    cfg = model_config(49152, size="gpu-check", n_positions=2048)
    with torch.device("meta"):
        n = sum(p.numel() for p in GPTBigCodeForCausalLM(cfg).parameters())
    assert 280e6 <= n <= 340e6
    assert cfg.multi_query and cfg.n_embd // cfg.n_head == 128
    other = model_config(49152, size="gpu-check", shape=(1024, 24, 16))
    assert (other.n_embd, other.n_layer, other.n_head) == (1024, 24, 16)
