"""Files shipped with evol: prompt templates, recipes (pipelines/) and the demo seeds.

A wheel carries them as package data under ``evol/_bundled/`` (setup.py copies the repository's top-level
``prompts/``, ``pipelines/`` and ``data/seeds/`` there) and they are read through importlib.resources; a
source checkout or an editable install reads the repository's own folders. Either way the layout below the
root is the repository's, so ``shipped("pipelines/demo.toml")`` names the same file in both.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

BUNDLE = "_bundled"


def root() -> Path:
    """The folder that holds ``prompts/``, ``pipelines/`` and ``data/seeds/`` for this install."""
    packaged = importlib.resources.files("evol") / BUNDLE
    if packaged.is_dir():
        return Path(str(packaged))  # a regular (not zipped) install: the resource is a real folder
    return Path(__file__).resolve().parent.parent


def shipped(relative: str | Path) -> Path:
    """A shipped file or folder by its repository-relative path, e.g. ``prompts`` or ``data/seeds/x.jsonl``."""
    return root() / relative


def recipe(spec: str | Path) -> Path:
    """The pipeline TOML a ``--config`` value names.

    An existing path wins; otherwise a bare name (``demo``) is the shipped ``pipelines/demo.toml``, and a
    relative path the shipped folders hold (``pipelines/demo.toml`` run from another folder) is that file.
    Anything else comes back unchanged, for the config loader to report as missing.
    """
    path = Path(spec)
    if path.exists() or path.is_absolute():
        return path
    candidates = [shipped(path)]
    if path.suffix == "" and len(path.parts) == 1:
        candidates.insert(0, shipped("pipelines") / f"{path.name}.toml")
    return next((c for c in candidates if c.is_file()), path)


def seed_path(spec: str) -> str:
    """A seeds.paths entry: kept as given, unless it is a relative file missing here that the install ships."""
    path = Path(spec)
    if spec.startswith("hf:") or path.is_absolute() or path.exists():
        return spec
    bundled = shipped(path)
    return str(bundled) if bundled.is_file() else spec
