"""Helpers for tests that run the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evol.config import PipelineConfig, load_config

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "pipelines" / "demo.toml"


def demo_config(out: Path, **overrides: Any) -> PipelineConfig:
    """The demo pipeline, writing to `out`, with the seed file given as an absolute path."""
    base = {"out_dir": str(out.parent), "name": out.name, "seeds.paths": [str(REPO / "data/seeds/code_seeds.jsonl")]}
    return load_config(DEMO, {**base, **overrides})


VERIFIED = REPO / "pipelines" / "verified.toml"


def verified_config(out: Path, **overrides: Any) -> PipelineConfig:
    """The verified-evolution recipe, writing to `out`, with the seed file given as an absolute path."""
    base = {"out_dir": str(out.parent), "name": out.name, "seeds.paths": [str(REPO / "data/seeds/code_seeds.jsonl")]}
    return load_config(VERIFIED, {**base, **overrides})
