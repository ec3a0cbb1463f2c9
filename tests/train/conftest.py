"""Fixtures for the trainer tests: a tiny byte-level BPE tokenizer and GPTBigCode built at test time, 50 pairs.

Nothing is downloaded: HF_HUB_OFFLINE=1 is set before transformers is imported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.train.helpers import tiny_sections, write_toml

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved random tiny GPTBigCode plus its tokenizer (no pad token, like StarCoder's)."""
    from tests.tiny_checkpoint import save_tiny_checkpoint

    return Path(save_tiny_checkpoint(str(tmp_path_factory.mktemp("tiny") / "model")))


@pytest.fixture(scope="session")
def tokenizer(tiny_dir: Path) -> Any:
    """The tiny tokenizer as the trainer loads it."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_dir)


@pytest.fixture(scope="session")
def pairs_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 instruction/output pairs as an exported train.json (a JSON list)."""
    from evol.train.tiny import synthetic_pairs

    path = tmp_path_factory.mktemp("data") / "train.json"
    path.write_text(json.dumps(synthetic_pairs(50)))
    return path


@pytest.fixture(scope="session")
def plain_run(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path, pairs_path: Path) -> dict[str, Any]:
    """One short run of the plain HF Trainer (no DeepSpeed), in this process; returns its summary."""
    from evol.train.config import load_config
    from evol.train.run import train

    root = tmp_path_factory.mktemp("plain")
    cfg_path = write_toml(root / "train.toml", tiny_sections(tiny_dir, pairs_path, root / "out"))
    summary = train(load_config(cfg_path), config_path=cfg_path)
    summary["config_path"] = str(cfg_path)
    return summary
