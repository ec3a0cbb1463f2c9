"""Fixtures for the eval tests: HumanEval problems and a tiny local checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from evol.eval.problems import Problem, load_problems


@pytest.fixture(scope="session")
def problems() -> list[Problem]:
    return load_problems()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer GPTBigCode and byte-level BPE tokenizer built locally (never the hub)."""
    from tests.tiny_checkpoint import save_tiny_checkpoint

    return Path(save_tiny_checkpoint(str(tmp_path_factory.mktemp("tiny") / "model")))
