"""Pipeline config from a TOML file plus command-line flags; a bad flag value is reported as the flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evol.errors import ConfigError


def load_with_flags(path: Path, flags: dict[str, tuple[str, Any]], extra: dict[str, Any] | None = None) -> Any:
    """The config of `path` with `flags` ({dotted key: (flag, value)}, None = not given) and `extra` overrides.

    An invalid value that came from a flag is reported as `--flag VALUE: why`, not as an error in the TOML
    file (which may well say something else); any other error names the file, as evol.config does.
    """
    from evol.config import PipelineConfig, load_config
    from evol.config_file import apply_overrides, read_toml

    overrides = {**{k: v for k, (_, v) in flags.items() if v is not None}, **(extra or {})}
    try:
        return PipelineConfig.model_validate(apply_overrides(read_toml(path), overrides, path))
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            for key, (flag, value) in flags.items():
                if value is not None and (loc == key or loc.startswith(key + ".")):
                    shown = " ".join(map(str, value)) if isinstance(value, list) else value
                    raise ConfigError(f"{flag} {shown}: {err['msg']}") from None
    return load_config(path, overrides)  # raises the file's own error


def flag_of(name: str) -> str:
    """The flag typed for a keyword argument such as `endpoint__model` (`--model`)."""
    return "--" + name.split("__")[-1].replace("_", "-")
