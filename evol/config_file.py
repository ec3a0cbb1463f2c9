"""Reading a TOML config file and applying dotted-key overrides: shared by the pipeline and trainer configs."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evol.errors import ConfigError


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed TOML table of ``path``; a missing file or bad TOML is a ConfigError naming the file."""
    path = Path(path)
    if not path.is_file():
        where = "" if path.is_absolute() else f" from {Path.cwd()}"
        raise ConfigError(f"{path}: no such config file (not found{where})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str | Path) -> dict[str, Any]:
    """Set each ``"section.key": value`` in ``data`` (None values are skipped); returns ``data``."""
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {dotted}: {key!r} is not a section")
        node[leaf] = value
    return data
