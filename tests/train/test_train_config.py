"""The TOML recipe, overrides, clear config errors and the global-batch arithmetic (no torch needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evol.errors import ConfigError
from evol.train.__main__ import build_parser
from evol.train.config import load_config, parse_override, resolve_batch
from tests.train.helpers import REPO, write_toml

RECIPE = REPO / "pipelines" / "train_starcoder.toml"


def test_recipe_reproduces_wizardcoder_15b() -> None:
    cfg = load_config(RECIPE)
    t = cfg.train
    assert (t.num_train_epochs, t.learning_rate, t.lr_scheduler_type, t.warmup_steps) == (3, 2e-5, "cosine", 30)
    assert t.global_batch_size == 512 and t.gradient_checkpointing and t.max_grad_norm == 1.0
    assert cfg.data.max_length == 2048 and cfg.data.truncation == "cut"  # WizardCoder: cut, the EOS cut off
    assert cfg.deepspeed.config == "pipelines/deepspeed/zero3.json"
    assert (REPO / cfg.deepspeed.config).is_file()
    # 16 per device: 8 GPUs -> 4 accumulation steps (WizardCoder's 16 x 4 x 8), 1 GPU -> 32, 2 nodes x 8 -> 2
    assert [resolve_batch(512, t.per_device_train_batch_size, "auto", w) for w in (8, 1, 16)] == [4, 32, 2]


def test_cli_overrides_and_set() -> None:
    args = build_parser().parse_args(
        ["--local_rank=3", "--config", str(RECIPE), "--model", "m", "--data", "d.json", "--out", "o", "--resume"]
    )
    assert args.resume == "latest" and args.local_rank == 3
    cfg = load_config(
        RECIPE,
        overrides={"model.name": args.model, "data.path": args.data, "train.output_dir": args.out},
        sets=["train.learning_rate=1e-5", "data.packing=true", "model.revision=main"],
    )
    assert (cfg.model.name, cfg.data.path, cfg.train.output_dir) == ("m", "d.json", "o")
    assert cfg.train.learning_rate == 1e-5 and cfg.data.packing and cfg.model.revision == "main"
    assert build_parser().parse_args(["--resume", "out/checkpoint-50"]).resume == "out/checkpoint-50"
    assert parse_override("train.report_to=tensorboard") == (["train", "report_to"], "tensorboard")


def test_unknown_key_is_named_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(RECIPE.read_text().replace("warmup_steps = 30", "warmup_step = 30"))
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    msg = str(err.value)
    assert str(bad) in msg and "unknown key '[train] warmup_step'" in msg and "warmup_steps" in msg

    with pytest.raises(ConfigError, match=r"unknown key 'optimizer'"):
        load_config(write_toml(tmp_path / "b2.toml", {"optimizer": {"lr": 1}}))
    with pytest.raises(ConfigError, match=r"\[model\] colour"):
        load_config(RECIPE, sets=["model.colour=1"])
    with pytest.raises(ConfigError, match=r"\[train\] learning_rate"):
        load_config(RECIPE, sets=["train.learning_rate='fast'"])
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")


def test_global_batch_that_does_not_divide_is_explained() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_batch(512, 3, "auto", 8)
    msg = str(err.value)
    assert "512" in msg and "3 x 8 GPU(s) = 24" in msg and "21.33" in msg and "1, 2, 4, 8, 16" in msg
    with pytest.raises(ConfigError, match=r"16 x gradient_accumulation_steps 2 x 8 GPU\(s\) = 256, not .* 512"):
        resolve_batch(512, 16, 2, 8)
    assert resolve_batch(512, 16, 4, 8) == 4
    assert resolve_batch(None, 4, "auto", 2) == 1


def test_cli_reports_config_errors_before_loading_torch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(RECIPE.read_text().replace('config = "pipelines/deepspeed/zero3.json"', "stage = 3"))
    probe = (
        "import sys; from evol.train.__main__ import main; rc = main(['--config', sys.argv[1]]);"
        " assert 'torch' not in sys.modules; sys.exit(rc)"
    )
    res = subprocess.run([sys.executable, "-c", probe, str(bad)], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == ConfigError.exit_code, res.stderr
    assert "error:" in res.stderr and str(bad) in res.stderr and "'[deepspeed] stage'" in res.stderr
