"""Short CPU training runs of the tiny GPTBigCode on ~50 pairs: loss falls, save, reload, generate, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from evol.errors import ConfigError, DataError
from evol.template import build_prompt
from evol.train.config import load_config
from evol.train.run import check_saved_weights, train, training_kwargs
from tests.train.helpers import tiny_sections, write_toml

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out


def test_loss_falls_and_the_saved_model_reloads_and_generates(plain_run: dict[str, Any]) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    losses = [loss for _, loss in plain_run["losses"]]
    assert len(losses) == 8 and all(map(torch.isfinite, torch.tensor(losses)))
    assert losses[-1] < losses[0] - 0.3
    assert plain_run["data_stats"]["kept"] == 50 and plain_run["pad_token_added"]
    assert plain_run["global_batch_size"] == 8 and plain_run["gradient_accumulation_steps"] == 2

    out = Path(plain_run["output_dir"])
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["global_step"] == 8 and summary["throughput"]["tokens_per_s"] > 0
    assert summary["truncation"] == "cut" and summary["data_stats"]["dropped_truncated"] == 0
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    assert tok.pad_token == "[PAD]" and model.config.pad_token_id == tok.pad_token_id
    assert model.config.use_cache and model.get_input_embeddings().num_embeddings >= len(tok)
    assert check_saved_weights(out, model) > 0
    ids = tok(build_prompt("Write a Python function `add_0` that adds two numbers."), return_tensors="pt",
              add_special_tokens=False)
    with torch.no_grad():
        gen = model.generate(**ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
    assert gen.shape[1] > ids["input_ids"].shape[1]
    assert isinstance(tok.decode(gen[0, ids["input_ids"].shape[1]:]), str)


def test_resume_continues_from_the_checkpoint(tmp_path: Path, tiny_dir: Path, pairs_path: Path) -> None:
    out = tmp_path / "out"
    cfg_path = write_toml(
        tmp_path / "t.toml",
        tiny_sections(tiny_dir, pairs_path, out, max_steps=4, save_strategy="steps", save_steps=2,
                      gradient_checkpointing=False),
    )
    first = train(load_config(cfg_path), config_path=cfg_path)
    assert first["global_step"] == 4 and (out / "checkpoint-4").is_dir()
    with pytest.raises(ConfigError, match="no such checkpoint"):
        train(load_config(cfg_path), config_path=cfg_path, resume=str(tmp_path / "nope"))

    cfg = load_config(cfg_path, sets=["train.max_steps=6"])
    second = train(cfg, config_path=cfg_path, resume="latest")
    assert second["resumed_from"] == str(out / "checkpoint-4")
    assert second["global_step"] == 6
    assert second["throughput"]["steps_this_run"] == 2  # steps 1-4 were not redone...
    assert second["losses"][:4] == first["losses"]  # ...their log comes back from the checkpoint's state


def test_resume_without_a_checkpoint_is_an_error(tmp_path: Path, tiny_dir: Path, pairs_path: Path) -> None:
    cfg_path = write_toml(tmp_path / "t.toml", tiny_sections(tiny_dir, pairs_path, tmp_path / "empty"))
    with pytest.raises(ConfigError, match="--resume: no checkpoint-"):
        train(load_config(cfg_path), config_path=cfg_path, resume="latest")


def test_packing_group_by_length_and_eval_train(tmp_path: Path, tiny_dir: Path, pairs_path: Path) -> None:
    cfg_path = write_toml(
        tmp_path / "t.toml", tiny_sections(tiny_dir, pairs_path, tmp_path / "out", max_steps=3)
    )
    sets = ["data.packing=true", "data.group_by_length=true", "data.max_length=320", "train.eval_steps=2",
            f"data.eval_path='{pairs_path}'"]
    cfg = load_config(cfg_path, sets=sets)
    kwargs = training_kwargs(cfg, 2, "fp32", None, True)
    assert kwargs["train_sampling_strategy"] == "group_by_length" and kwargs["eval_strategy"] == "steps"
    assert kwargs["activation_checkpointing"] and kwargs["use_cpu"]
    summary = train(cfg, config_path=cfg_path)
    assert summary["sequences"] < summary["data_stats"]["kept"]  # several examples per sequence
    assert all(torch.isfinite(torch.tensor(loss)) for _, loss in summary["losses"])
    state = json.loads((tmp_path / "out" / "trainer_state.json").read_text())
    assert 2 in [h["step"] for h in state["log_history"] if "eval_loss" in h]


def test_bad_record_fails_before_loading_the_model(tmp_path: Path, tiny_dir: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "c"}\n')
    cfg_path = write_toml(tmp_path / "t.toml", tiny_sections(tiny_dir, data, tmp_path / "out"))
    with pytest.raises(DataError, match=r"train.jsonl: record 1 has no 'output' field"):
        train(load_config(cfg_path), config_path=cfg_path)
