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


def flag_overrides(*, base_url: str | list[str] | None = None, model: str | None = None,
                   api_key_env: str | None = None, rounds: int | None = None, seeds: str | list[str] | None = None,
                   out: str | Path | None = None, concurrency: int | None = None, limit: int | None = None,
                   seed: int | None = None, no_cache: bool = False) -> dict[str, Any]:
    """The dotted config overrides that `evol run`'s flags (and `evol.run`'s keyword arguments) stand for."""
    overrides: dict[str, Any] = {
        "endpoint.base_url": _as_list(base_url), "endpoint.model": model, "endpoint.api_key_env": api_key_env,
        "rounds": rounds, "seeds.paths": _as_list(seeds), "endpoint.concurrency": concurrency, "limit": limit,
        "seed": seed, "cache": False if no_cache else None,
    }
    if out is not None:
        overrides.update({"out_dir": str(Path(out).parent), "name": Path(out).name})
    return overrides


def _as_list(value: str | list[str] | None) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    return list(value) if value else None
