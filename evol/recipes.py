"""Load a pipeline recipe by path or by the name of a shipped one, with its seeds found the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evol.config import PipelineConfig, load_config
from evol.resources import recipe, seed_path


def load_recipe(spec: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """`load_config` on the recipe `spec` names (a path, or e.g. ``demo``), seed files resolved.

    A relative seed file that is not in the current folder is read from the installed package when it ships
    one of that name (``data/seeds/code_seeds.jsonl``), so shipped recipes run from any folder.
    """
    cfg = load_config(recipe(spec), overrides)
    resolved = [seed_path(p) for p in cfg.seeds.paths]
    if resolved != cfg.seeds.paths:
        cfg.seeds.paths = resolved
    return cfg
